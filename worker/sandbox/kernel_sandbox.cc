#include "worker/sandbox/kernel_sandbox.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/sandbox/namespaces.h"

namespace flowgrid::sandbox {
namespace {

std::atomic<KernelSandbox*> active_sandbox{nullptr};

}  // namespace

KernelSandbox::KernelSandbox(UniqueFd netns, MountPlan mounts,
                             const KernelSandboxOptions& options)
    : netns_(std::move(netns)),
      mounts_(std::move(mounts)),
      uids_(options.uid_base, options.uid_count) {}

absl::StatusOr<std::unique_ptr<KernelSandbox>> KernelSandbox::Create(
    const KernelSandboxOptions& options) {
  if (options.uid_base == 0 || options.uid_count <= 0) {
    return absl::InvalidArgumentError("sandbox uids must be a non-empty range above 0");
  }
  absl::StatusOr<UniqueFd> netns = CreateEmptyNetworkNamespace();
  if (!netns.ok()) return netns.status();
  absl::StatusOr<MountPlan> mounts = BuildMountPlan(options.mounts);
  if (!mounts.ok()) return mounts.status();
  std::unique_ptr<KernelSandbox> sandbox(
      new KernelSandbox(*std::move(netns), *std::move(mounts), options));
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
  return absl::OkStatus();
}

void DisableKernelSandbox() { delete active_sandbox.exchange(nullptr); }

KernelSandbox* ActiveKernelSandbox() { return active_sandbox.load(); }

}  // namespace flowgrid::sandbox
