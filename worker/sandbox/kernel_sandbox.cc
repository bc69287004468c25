#include "worker/sandbox/kernel_sandbox.h"

#include <limits.h>
#include <stdlib.h>

#include <atomic>
#include <cstdlib>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "worker/sandbox/capabilities.h"
#include "worker/sandbox/namespaces.h"

namespace flowgrid::sandbox {
namespace {

std::atomic<KernelSandbox*> active_sandbox{nullptr};

// The job root holds only /usr of the host's trees: an executable elsewhere
// would fail every job with "exec: No such file or directory".
absl::Status CheckInsideJobRoot(const std::string& executable) {
  char resolved[PATH_MAX];
  if (::realpath(executable.c_str(), resolved) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("runtime ", executable, " cannot be resolved"));
  }
  if (!absl::StartsWith(resolved, "/usr/")) {
    return absl::FailedPreconditionError(
        absl::StrCat("runtime ", executable, " (", resolved,
                     ") is not under /usr, the only host tree in the job root"));
  }
  return absl::OkStatus();
}

// At exit the sandbox object stays (a slot thread may still hold it); only
// the host-visible root goes.
void RemoveJobRootAtExit() {
  if (KernelSandbox* sandbox = active_sandbox.load(); sandbox != nullptr) {
    if (absl::Status s = sandbox->RemoveJobRoot(); !s.ok()) LogWarning(s.ToString());
  }
}

}  // namespace

KernelSandbox::KernelSandbox(UniqueFd netns, std::unique_ptr<JobRoot> root,
                             const KernelSandboxOptions& options)
    : netns_(std::move(netns)),
      root_(std::move(root)),
      scratch_(MakeScratchMounts(options.scratch_tmpfs_size)),
      uids_(options.uid_base, options.uid_count) {}

absl::StatusOr<std::unique_ptr<KernelSandbox>> KernelSandbox::Create(
    const KernelSandboxOptions& options) {
  if (options.uid_base == 0 || options.uid_count <= 0) {
    return absl::InvalidArgumentError("sandbox uids must be a non-empty range above 0");
  }
  if (absl::Status capabilities = CheckOwnSandboxCapabilities(); !capabilities.ok()) {
    return capabilities;
  }
  for (const auto& [executable, profile] : options.syscall_profiles) {
    if (absl::Status inside = CheckInsideJobRoot(executable); !inside.ok()) return inside;
  }
  absl::StatusOr<UniqueFd> netns = CreateEmptyNetworkNamespace();
  if (!netns.ok()) return netns.status();
  absl::StatusOr<std::unique_ptr<JobRoot>> root = JobRoot::Prepare(options.root);
  if (!root.ok()) return root.status();
  std::unique_ptr<KernelSandbox> sandbox(
      new KernelSandbox(*std::move(netns), *std::move(root), options));
  for (const auto& [executable, profile] : options.syscall_profiles) {
    absl::StatusOr<SeccompProgram> compiled = CompileSeccompPolicy(profile);
    if (!compiled.ok()) return compiled.status();
    CompiledProfile& entry = sandbox->seccomp_[executable];
    entry.compiled = *std::move(compiled);
    // Points into `compiled`, whose vector never changes again.
    entry.program = entry.compiled.program();
  }
  return sandbox;
}

const sock_fprog* KernelSandbox::SeccompFor(const std::string& executable) const {
  auto it = seccomp_.find(executable);
  return it == seccomp_.end() ? nullptr : &it->second.program;
}

absl::Status EnableKernelSandbox(const KernelSandboxOptions& options) {
  absl::StatusOr<std::unique_ptr<KernelSandbox>> sandbox = KernelSandbox::Create(options);
  if (!sandbox.ok()) return sandbox.status();
  KernelSandbox* expected = nullptr;
  // Released on purpose: jobs may run until the process exits.
  KernelSandbox* raw = sandbox->release();
  if (!active_sandbox.compare_exchange_strong(expected, raw)) {
    delete raw;
    return absl::FailedPreconditionError("the kernel sandbox is already enabled");
  }
  static const bool registered = std::atexit(RemoveJobRootAtExit) == 0;
  if (!registered) LogWarning("the job root will not be removed at exit (atexit failed)");
  return absl::OkStatus();
}

void DisableKernelSandbox() { delete active_sandbox.exchange(nullptr); }

KernelSandbox* ActiveKernelSandbox() { return active_sandbox.load(); }

}  // namespace flowgrid::sandbox
