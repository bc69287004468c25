#include "worker/sandbox/contain.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "worker/sandbox/clone3.h"
#include "worker/sandbox/credentials.h"
#include "worker/sandbox/job_root.h"
#include "worker/sandbox/mounts.h"
#include "worker/sandbox/namespaces.h"
#include "worker/sandbox/privileges.h"
#include "worker/sandbox/seccomp_policy.h"
#include "worker/sandbox/process_lifetime.h"
#include "worker/sandbox/signals.h"

namespace flowgrid::sandbox {
namespace {

enum class ChildStep {
  kNone,
  kResetSignals,
  kStartOwnSession,
  kJoinNetworkNamespace,
  kEnterJobRoot,
  kMountScratch,
  kArrangeFds,
  kApplyRlimits,
  kDropCredentials,
  kDieWithWorker,
  kForbidNewPrivileges,
  kLoadSeccomp,
  kExec,
};

const char* StepName(ChildStep step) {
  switch (step) {
    case ChildStep::kNone: return "none";
    case ChildStep::kResetSignals: return "reset signals";
    case ChildStep::kStartOwnSession: return "start own session";
    case ChildStep::kJoinNetworkNamespace: return "join network namespace";
    case ChildStep::kEnterJobRoot: return "enter job root";
    case ChildStep::kMountScratch: return "mount scratch file systems";
    case ChildStep::kArrangeFds: return "arrange descriptors";
    case ChildStep::kApplyRlimits: return "apply rlimits";
    case ChildStep::kDropCredentials: return "drop credentials";
    case ChildStep::kDieWithWorker: return "die with worker";
    case ChildStep::kForbidNewPrivileges: return "forbid new privileges";
    case ChildStep::kLoadSeccomp: return "load seccomp filter";
    case ChildStep::kExec: return "exec";
  }
  return "unknown";
}

// Everything the child needs, prepared by the parent. Because the child
// shares the parent's memory, it also reports a failure through this struct.
struct ChildArgs {
  const ChildSpec* spec;
  char* const* argv;
  char* const* envp;
  pid_t worker_pid;
  sigset_t mask_for_exec;
  ChildStep failed_step = ChildStep::kNone;
  int failed_errno = 0;
};

int Fail(ChildArgs& args, ChildStep step, int err) noexcept {
  args.failed_step = step;
  args.failed_errno = err;
  return 127;
}

// The child's setup, in order. Each step either succeeds or ends the child
// with the step recorded for the parent.
int RunChildPipeline(void* raw_args) noexcept {
  ChildArgs& args = *static_cast<ChildArgs*>(raw_args);
  const ChildSpec& spec = *args.spec;

  if (int err = ResetSignals(args.mask_for_exec); err != 0) {
    return Fail(args, ChildStep::kResetSignals, err);
  }
  if (int err = StartOwnSession(); err != 0) {
    return Fail(args, ChildStep::kStartOwnSession, err);
  }
  const ChildIsolation* isolation = spec.isolation;
  if (isolation != nullptr) {
    // Before ArrangeChildFds, which closes the namespace's descriptor.
    if (int err = JoinNetworkNamespace(isolation->netns_fd); err != 0) {
      return Fail(args, ChildStep::kJoinNetworkNamespace, err);
    }
    if (int err = EnterJobRoot(isolation->root_dir); err != 0) {
      return Fail(args, ChildStep::kEnterJobRoot, err);
    }
    if (int err = MountJobScratch(*isolation->scratch); err != 0) {
      return Fail(args, ChildStep::kMountScratch, err);
    }
  }
  if (int err = ArrangeChildFds(spec.fds); err != 0) {
    return Fail(args, ChildStep::kArrangeFds, err);
  }
  if (int err = ApplyRlimits(spec.rlimits); err != 0) {
    return Fail(args, ChildStep::kApplyRlimits, err);
  }
  // Before the parent-death signal: a change of credentials clears it.
  if (isolation != nullptr) {
    if (int err = DropToUser(isolation->uid, isolation->gid); err != 0) {
      return Fail(args, ChildStep::kDropCredentials, err);
    }
  }
  // In a new pid namespace getppid() is 0 (the worker is outside it), so
  // the check that the worker is still alive cannot be made there.
  if (int err = DieWithWorker(isolation != nullptr ? 0 : args.worker_pid); err != 0) {
    return Fail(args, ChildStep::kDieWithWorker, err);
  }
  if (int err = ForbidNewPrivileges(); err != 0) {
    return Fail(args, ChildStep::kForbidNewPrivileges, err);
  }
  // Last before exec: the filter then also covers the loader and the
  // interpreter's start-up, so no user code ever runs unfiltered.
  if (isolation != nullptr && isolation->seccomp != nullptr) {
    if (int err = LoadSeccompProgram(*isolation->seccomp); err != 0) {
      return Fail(args, ChildStep::kLoadSeccomp, err);
    }
  }
  ::execve(spec.executable.c_str(), args.argv, args.envp);
  return Fail(args, ChildStep::kExec, errno);
}

std::vector<char*> CStringArray(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// The child's stack. Its frames are a few hundred bytes of system call
// wrappers; 64 KiB leaves a wide margin.
constexpr size_t kChildStackBytes = 64 * 1024;

}  // namespace

absl::StatusOr<SpawnedChild> SpawnContained(const ChildSpec& spec) {
  if (spec.executable.empty() || spec.executable[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("executable must be an absolute path: \"", spec.executable, "\""));
  }
  std::vector<char*> argv = CStringArray(spec.argv);
  std::vector<char*> envp = CStringArray(spec.env);

  void* stack = ::mmap(nullptr, kChildStackBytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("mmap of the child stack: ", std::strerror(errno)));
  }

  ChildArgs args{};
  args.spec = &spec;
  args.argv = argv.data();
  args.envp = envp.data();
  args.worker_pid = ::getpid();
  sigemptyset(&args.mask_for_exec);

  // All signals blocked across clone: a worker signal handler must never
  // run on the child's side of the shared memory.
  sigset_t all_signals, saved_mask;
  sigfillset(&all_signals);
  pthread_sigmask(SIG_SETMASK, &all_signals, &saved_mask);
  int pidfd = -1;
  clone_args request{};
  request.flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD |
                (spec.isolation != nullptr ? kJobNamespaceFlags : 0) |
                (spec.cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  request.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  request.exit_signal = SIGCHLD;
  request.stack = reinterpret_cast<uintptr_t>(stack);
  request.stack_size = kChildStackBytes;
  request.cgroup = spec.cgroup_fd >= 0 ? static_cast<uint64_t>(spec.cgroup_fd) : 0;
  const long cloned = Clone3(&request, &RunChildPipeline, &args);
  pthread_sigmask(SIG_SETMASK, &saved_mask, nullptr);
  ::munmap(stack, kChildStackBytes);

  if (cloned < 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "clone3 of the job process", spec.cgroup_fd >= 0 ? " into its cgroup" : "", ": ",
        std::strerror(static_cast<int>(-cloned))));
  }
  const pid_t pid = static_cast<pid_t>(cloned);
  SpawnedChild child{pid, UniqueFd(pidfd)};
  if (args.failed_step != ChildStep::kNone) {
    // The child already exited (CLONE_VFORK resumed us at its exit).
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::InternalError(absl::StrCat("sandbox setup step \"",
                                            StepName(args.failed_step),
                                            "\" failed: ", std::strerror(args.failed_errno)));
  }
  return child;
}

}  // namespace flowgrid::sandbox
