// The kernel isolation layers of the sandbox, prepared once per worker and
// applied to every job's child by SpawnContained (contain.cc):
// namespaces.h, mounts.h, credentials.h, seccomp_policy.h.
//
// A worker enables them at start-up (EnableKernelSandbox). Without them
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
#include "worker/sandbox/mounts.h"
#include "worker/sandbox/seccomp_policy.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::sandbox {

struct KernelSandboxOptions {
  // Jobs run as uid = gid = uid_base + i, one i per concurrent job.
  uid_t uid_base = 60000;
  int uid_count = 256;
  MountOptions mounts;
  // The seccomp allow-list of each runtime, by the exact executable path a
  // job runs. Other executables (tests running /bin/sh) get the other layers
  // but no filter.
  std::map<std::string, SyscallProfile> syscall_profiles;
};

// What the child needs from the prepared layers; everything is owned by the
// KernelSandbox and lives as long as the worker.
struct ChildIsolation {
  int netns_fd = -1;
  const MountPlan* mounts = nullptr;
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
  const MountPlan& mounts() const { return mounts_; }
  UidPool& uids() { return uids_; }
  // The filter for `executable`, or nullptr.
  const sock_fprog* SeccompFor(const std::string& executable) const;

 private:
  struct CompiledProfile {
    SeccompProgram compiled;
    sock_fprog program;
  };

  KernelSandbox(UniqueFd netns, MountPlan mounts, const KernelSandboxOptions& options);

  UniqueFd netns_;
  MountPlan mounts_;
  UidPool uids_;
  std::map<std::string, CompiledProfile> seccomp_;
};

// Process-wide: called once, before the first job. Later calls fail.
absl::Status EnableKernelSandbox(const KernelSandboxOptions& options);

// Back to the base pipeline; only before any job runs (a worker whose
// start-up probe failed under --insecure-no-sandbox).
void DisableKernelSandbox();

// The enabled sandbox, or nullptr.
KernelSandbox* ActiveKernelSandbox();

}  // namespace flowgrid::sandbox

#endif  // FLOWGRID_WORKER_SANDBOX_KERNEL_SANDBOX_H_
