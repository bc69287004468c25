// The file system root a job sees: a minimal read-only tree, prepared once
// per worker process and entered by every job's child (or once by a
// zygote) with pivot_root.
//
// The prepared tree, a tmpfs mounted at <parent_dir>/flowgrid-root-<pid>
// on the host (the directory is 0700, so only root can look in):
//   /usr            bind of the host's /usr: read-only, nosuid, nodev
//   /bin /sbin /lib /lib32 /lib64 /libx32
//                   the host's symlinks into usr/ recreated (Debian 12 is
//                   usr-merged); a real directory (older layouts) is bound
//                   like /usr; missing ones are skipped
//   /etc            only the files the runtimes read (strace of python3 -I
//                   and node running representative jobs): ld.so.cache,
//                   localtime; copied, or their symlink recreated
//   /dev/null, /dev/zero, /dev/random, /dev/urandom
//                   binds of the host's device nodes: read-only, nosuid,
//                   noexec (devices must stay usable, so not nodev)
//   /tmp /dev/shm /proc
//                   empty mount points for the per-job scratch (mounts.h)
// The tmpfs itself is read-only, nosuid, nodev and noexec. Nothing else of
// the host exists for the job: no /home, /root, /var, /run, /srv, /sys, no
// /etc/shadow or /etc/passwd, not the worker's files.
//
// Removal detaches the whole tree (umount2 MNT_DETACH) and the directory. A
// worker killed before it could remove its root leaves it behind: the next
// Prepare in the same parent directory removes every root whose pid is no
// longer alive.
#ifndef FLOWGRID_WORKER_SANDBOX_JOB_ROOT_H_
#define FLOWGRID_WORKER_SANDBOX_JOB_ROOT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace flowgrid::sandbox {

struct JobRootOptions {
  // Where the root's directory is made; must exist.
  std::string parent_dir = "/run";
  // Host files copied into the root's /etc (a symlink is recreated as a
  // symlink); missing ones are skipped. Never /etc/shadow or passwd: no
  // runtime needs them (jobs run as uids without a passwd entry).
  std::vector<std::string> etc_files = {"/etc/ld.so.cache", "/etc/localtime"};
};

class JobRoot {
 public:
  // Host side, once per process: removes stale roots of dead workers in
  // `parent_dir`, then builds this process's root. An error names the step,
  // the path and errno (typically: not root).
  static absl::StatusOr<std::unique_ptr<JobRoot>> Prepare(const JobRootOptions& options);
  JobRoot(const JobRoot&) = delete;
  JobRoot& operator=(const JobRoot&) = delete;
  // Remove(), errors logged.
  ~JobRoot();

  // Absolute path of the prepared root on the host.
  const std::string& path() const { return path_; }

  // Detaches the tree and removes the directory; later calls do nothing.
  // Processes that already entered the root keep it until they exit.
  absl::Status Remove();

 private:
  explicit JobRoot(std::string path) : path_(std::move(path)) {}

  const std::string path_;
  bool removed_ = false;
};

// Host side: removes every "flowgrid-root-<pid>" in `parent_dir` whose pid
// is not a live process (a worker that was SIGKILLed). Returns how many.
absl::StatusOr<int> RemoveStaleJobRoots(const std::string& parent_dir);

// Child side, async-signal-safe and allocation-free, in a process that has
// its own mount namespace (CLONE_NEWNS or unshare): makes every mount
// private, pivots into `root` (a JobRoot's path) and detaches the old root,
// so that no path leads back to the host's tree. Called once per process:
// by each job's child, or once by a zygote whose job children then only
// mount their scratch. Returns 0 or errno.
int EnterJobRoot(const char* root) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_JOB_ROOT_H_
