// The kernel isolation layers of the sandbox, prepared once per worker and
// applied to every job's child by SpawnContained (contain.cc):
// namespaces.h, job_root.h, mounts.h, credentials.h, seccomp_policy.h.
//
// A worker enables them at start-up (EnableKernelSandbox); its job root is
// removed when the process exits normally (and by the next worker's start
// if it is killed). Without them
// (--insecure-no-sandbox, or a test binary that never enables them) a job
// gets only the base pipeline: rlimits, its own session, fd hygiene,
// no_new_privs and the parent-death signal.
#ifndef FLOWGRID_WORKER_SANDBOX_KERNEL_SANDBOX_H_
#define FLOWGRID_WORKER_SANDBOX_KERNEL_SANDBOX_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/sandbox/credentials.h"
#include "worker/sandbox/job_root.h"
#include "worker/sandbox/mounts.h"
#include "worker/sandbox/seccomp_policy.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {

struct KernelSandboxOptions {
  // Jobs run as uid = gid = uid_base + i, one i per concurrent job.
  uid_t uid_base = 60000;
  int uid_count = 256;
  JobRootOptions root;
  // Size of each job's /tmp and /dev/shm.
  std::string scratch_tmpfs_size = "64m";
  // The seccomp allow-list of each runtime, by the exact executable path a
  // job runs. Other executables (tests running /bin/sh) get the other layers
  // but no filter. Each must lie under /usr (the only host tree in the job
  // root).
  std::map<std::string, SyscallProfile> syscall_profiles;
};

// What the child needs from the prepared layers; everything is owned by the
// KernelSandbox and lives as long as the worker.
struct ChildIsolation {
  int netns_fd = -1;
  // The prepared root (JobRoot::path) and the per-job scratch.
  const char* root_dir = nullptr;
  const ScratchMounts* scratch = nullptr;
  uid_t uid = 0;
  gid_t gid = 0;
  // nullptr: no seccomp filter.
  const sock_fprog* seccomp = nullptr;
};

class KernelSandbox {
 public:
  // Prepares every layer; an error names the step that failed and why
  // (typically: not running as root).
  static absl::StatusOr<std::unique_ptr<KernelSandbox>> Create(
      const KernelSandboxOptions& options);

  int netns_fd() const { return netns_.get(); }
  // The prepared root's path on the host.
  const std::string& root_dir() const { return root_->path(); }
  // At exit: the root leaves the host's tree; jobs can no longer start.
  absl::Status RemoveJobRoot() { return root_->Remove(); }
  const ScratchMounts& scratch() const { return scratch_; }
  UidPool& uids() { return uids_; }
  // The filter for `executable`, or nullptr.
  const sock_fprog* SeccompFor(const std::string& executable) const;

 private:
  struct CompiledProfile {
    SeccompProgram compiled;
    sock_fprog program;
  };

  KernelSandbox(UniqueFd netns, std::unique_ptr<JobRoot> root,
                const KernelSandboxOptions& options);

  UniqueFd netns_;
  std::unique_ptr<JobRoot> root_;
  ScratchMounts scratch_;
  UidPool uids_;
  std::map<std::string, CompiledProfile> seccomp_;
};

// Process-wide: called once, before the first job. Later calls fail. The
// job root is removed at exit (atexit), not when a job may still start.
absl::Status EnableKernelSandbox(const KernelSandboxOptions& options);

// Back to the base pipeline (and the job root removed); only before any job
// runs (a worker whose start-up probe failed under --insecure-no-sandbox).
void DisableKernelSandbox();

// The enabled sandbox, or nullptr.
KernelSandbox* ActiveKernelSandbox();

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_KERNEL_SANDBOX_H_
