// The file system view of a job's child process, set up in its new mount
// namespace (the copy of the worker's mounts that CLONE_NEWNS gave it).
//
// The parent builds a MountPlan once (a list of plain mount(2) calls, with
// every string prepared); the child only executes it, allocation-free:
//   1. every mount private, so nothing propagates to or from the host;
//   2. the whole tree read-only and nosuid (mount_setattr, recursive);
//   3. fresh size-limited tmpfs on /tmp and /dev/shm — private to the job
//      and gone with it, so nothing persists from one job to the next;
//   4. a new /proc for the job's pid namespace (the inherited one would
//      show every host process);
//   5. an empty, read-only tmpfs over each hidden directory (/root, the
//      worker's data directories).
// Without a zygote there is no per-worker pivot into a minimal root yet: the
// job sees the host's (read-only) tree.
#ifndef FLOWGRID_WORKER_SANDBOX_MOUNTS_H_
#define FLOWGRID_WORKER_SANDBOX_MOUNTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace flowgrid::sandbox {

struct MountOptions {
  // Size of each job's /tmp and /dev/shm.
  std::string tmpfs_size = "64m";
  // Directories replaced by an empty read-only tmpfs; missing ones are
  // skipped.
  std::vector<std::string> hidden_dirs = {"/root"};
};

struct MountStep {
  std::string source;
  std::string target;
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
};

struct MountPlan {
  std::vector<MountStep> steps;  // after the tree is made private and read-only
};

// Parent side. Fails if a required mount point (/tmp, /proc) is missing.
absl::StatusOr<MountPlan> BuildMountPlan(const MountOptions& options);

// Child side, async-signal-safe. Returns 0 or errno.
int ApplyMountPlan(const MountPlan& plan) noexcept;

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_MOUNTS_H_
