#include "worker/sandbox/warm_child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/sandbox/rlimits.h"

namespace flowgrid::sandbox {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The CPU time `pid` has used so far (user + system, all its threads).
absl::StatusOr<absl::Duration> ProcessCpu(pid_t pid) {
  clockid_t clock;
  if (const int err = ::clock_getcpuclockid(pid, &clock); err != 0) {
    errno = err;
    return ErrnoError("clock_getcpuclockid");
  }
  struct timespec used;
  if (::clock_gettime(clock, &used) != 0) return ErrnoError("clock_gettime of the process");
  return absl::DurationFromTimespec(used);
}

// prlimit(2) on another process needs CAP_SYS_RESOURCE, which containers
// often drop (this machine's included), or a real uid and gid equal to the
// target's. So the calling thread takes the child's uid and gid as its real
// ids for the call only: raw system calls (glibc's wrappers would change
// every thread of the worker), effective and saved ids stay, so the thread
// keeps its capabilities and the worker its dumpability. No code of the job
// runs meanwhile: the child is still waiting for its input.
absl::Status LowerCpuLimit(pid_t pid, const struct rlimit& limit, const JobIdentity& identity) {
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0) {
    return ErrnoError("getresuid");
  }
  const bool switch_ids = identity.isolated && (identity.uid != ruid || identity.gid != rgid);
  constexpr long kUnchanged = -1;
  if (switch_ids) {
    if (::syscall(SYS_setresgid, identity.gid, kUnchanged, kUnchanged) != 0) {
      return ErrnoError("setresgid to the job's gid");
    }
    if (::syscall(SYS_setresuid, identity.uid, kUnchanged, kUnchanged) != 0) {
      const absl::Status error = ErrnoError("setresuid to the job's uid");
      (void)::syscall(SYS_setresgid, rgid, kUnchanged, kUnchanged);
      return error;
    }
  }
  const absl::Status status =
      ::prlimit(pid, RLIMIT_CPU, &limit, nullptr) == 0 ? absl::OkStatus()
                                                       : ErrnoError("prlimit RLIMIT_CPU");
  if (switch_ids) {
    // Cannot fail: the effective uid is still privileged.
    (void)::syscall(SYS_setresuid, ruid, kUnchanged, kUnchanged);
    (void)::syscall(SYS_setresgid, rgid, kUnchanged, kUnchanged);
  }
  return status;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WarmChild>> WarmChild::Spawn(const SandboxRequest& recipe,
                                                            SlotCgroup* cgroup) {
  absl::StatusOr<OutputChannels> output = OpenOutputChannels();
  if (!output.ok()) return output.status();
  absl::StatusOr<Pipe> input = MakePipe();
  if (!input.ok()) return input.status();
  // The job's input is written later by Run, which must never block on a
  // full pipe without watching the process and the deadline.
  if (::fcntl(input->write_end.get(), F_SETFL, O_NONBLOCK) != 0) {
    return ErrnoError("fcntl O_NONBLOCK on the input pipe");
  }
  absl::StatusOr<IdentityLease> lease = IdentityLease::Acquire();
  if (!lease.ok()) return lease.status();

  ChildSpec spec;
  spec.executable = recipe.executable;
  spec.argv = recipe.argv;
  spec.env = recipe.env;
  spec.fds = ChildFds{output->stdout_write.get(), output->stderr_write.get(),
                      input->read_end.get(), output->result_write.get()};
  // The job's CPU limit comes with the job (Run); the other rlimits are the
  // same for every job.
  spec.rlimits = RlimitsForJob(absl::ZeroDuration());
  spec.rlimits.cpu_seconds_soft = RLIM_INFINITY;
  spec.rlimits.cpu_seconds_hard = RLIM_INFINITY;
  const std::optional<ChildIsolation> isolation =
      IsolationFor(lease->identity(), recipe.executable);
  if (isolation.has_value()) spec.isolation = &*isolation;
  absl::StatusOr<SpawnedChild> child = SpawnInCgroup(std::move(spec), cgroup);
  if (!child.ok()) return child.status();
  return std::unique_ptr<WarmChild>(new WarmChild(
      *std::move(lease), *std::move(child), cgroup, std::move(output->read_ends),
      std::move(input->write_end), std::move(input->read_end), recipe));
}

WarmChild::WarmChild(IdentityLease lease, SpawnedChild child, SlotCgroup* cgroup,
                     ChildStreams streams, UniqueFd input, UniqueFd input_read_end,
                     const SandboxRequest& recipe)
    : lease_(std::move(lease)),
      pid_(child.pid),
      child_(std::move(child)),
      cgroup_(cgroup),
      streams_(std::move(streams)),
      input_(std::move(input)),
      input_read_end_(std::move(input_read_end)),
      program_(ProgramOf(recipe)) {}

WarmChild::~WarmChild() {
  if (child_.pid > 0) End();
}

void WarmChild::End() {
  if (child_.pid <= 0) return;
  OwnChild doomed(std::move(child_), nullptr);
  child_.pid = -1;
  doomed.Kill();
  (void)doomed.Reap();
}

SandboxRequest ProgramOf(const SandboxRequest& request) {
  SandboxRequest program;
  program.executable = request.executable;
  program.argv = request.argv;
  program.env = request.env;
  return program;
}

bool SameProgram(const SandboxRequest& a, const SandboxRequest& b) {
  return a.executable == b.executable && a.argv == b.argv && a.env == b.env;
}

bool WarmChild::Alive() const {
  if (child_.pid <= 0) return false;
  struct pollfd exited = {child_.pidfd.get(), POLLIN, 0};
  while (true) {
    const int ready = ::poll(&exited, 1, 0);
    if (ready >= 0) return ready == 0;
    if (errno != EINTR) return false;
  }
}

bool WarmChild::Ready() const {
  if (child_.pid <= 0) return false;
  // "<nr> <arg0> ..." while blocked in a system call, else "running".
  const int fd = ::open(absl::StrCat("/proc/", child_.pid, "/syscall").c_str(),
                        O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[128] = {};
  const ssize_t n = ::read(fd, text, sizeof(text) - 1);
  ::close(fd);
  if (n <= 0) return false;
  std::vector<absl::string_view> fields = absl::StrSplit(text, ' ');
  long number = -1;
  uint64_t first_argument = 0;
  return fields.size() >= 2 && absl::SimpleAtoi(fields[0], &number) && number == SYS_read &&
         absl::SimpleHexAtoi(fields[1], &first_argument) && first_argument == static_cast<uint64_t>(kChildInputFd);
}

absl::Status WarmChild::Discard(absl::string_view why) {
  End();
  if (cgroup_ != nullptr) {
    if (absl::Status emptied = cgroup_->KillAll(); !emptied.ok()) return emptied;
  }
  return absl::UnavailableError(absl::StrCat("the waiting process ", pid_, " ", why));
}

bool WarmChild::InputUnread() const {
  int unread = 0;
  return ::ioctl(input_read_end_.get(), FIONREAD, &unread) == 0 && unread > 0;
}

absl::StatusOr<bool> WarmChild::WriteInput(const std::string& input, absl::Time deadline) {
  size_t written = 0;
  while (written < input.size()) {
    const ssize_t n = ::write(input_.get(), input.data() + written, input.size() - written);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) return ErrnoError("write of the job input");
    // The pipe is full until the harness reads (a large input, or a
    // process still starting up).
    const int timeout_ms = MillisecondsUntil(deadline);
    if (timeout_ms == 0) return false;
    struct pollfd fds[2] = {{input_.get(), POLLOUT, 0}, {child_.pidfd.get(), POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) return ErrnoError("poll");
    if (fds[1].revents != 0) return absl::UnavailableError("the process exited");
  }
  return true;
}

absl::StatusOr<SupervisedOutcome> WarmChild::Run(const SandboxRequest& request, int cancel_fd,
                                                 const FinishLater* finish_later) {
  if (child_.pid <= 0) return absl::FailedPreconditionError("a warm child runs one job");
  if (!Alive()) return Discard("exited while waiting");
  // RLIMIT_CPU counts from the process start.
  absl::StatusOr<absl::Duration> startup_cpu = ProcessCpu(child_.pid);
  const RlimitPlan plan = RlimitsForJob(request.limits.wall_timeout);
  if (startup_cpu.ok()) {
    const rlim_t startup_seconds = static_cast<rlim_t>(
        absl::ToInt64Seconds(absl::Ceil(*startup_cpu, absl::Seconds(1))));
    const struct rlimit cpu = {plan.cpu_seconds_soft + startup_seconds,
                               plan.cpu_seconds_hard + startup_seconds};
    if (absl::Status lowered = LowerCpuLimit(child_.pid, cpu, lease_.identity());
        !lowered.ok()) {
      startup_cpu = lowered;
    }
  }
  if (!startup_cpu.ok()) {
    if (!Alive()) return Discard("exited while waiting");
    End();
    return startup_cpu.status();
  }

  const absl::Time started = MonotonicNow();
  absl::StatusOr<bool> delivered =
      WriteInput(request.input, started + request.limits.wall_timeout);
  if (!delivered.ok()) {
    if (absl::IsUnavailable(delivered.status()) || !Alive()) {
      return Discard("died before its input was written");
    }
    End();
    return delivered.status();
  }
  // EOF for the harness. When the deadline passed first, Supervise reports
  // the timeout at once.
  input_.Reset();
  const absl::Time handed_over = MonotonicNow();

  // Reap() also empties the slot cgroup of what escaped the process group.
  auto process = std::make_unique<OwnChild>(std::move(child_), cgroup_);
  child_.pid = -1;
  absl::StatusOr<SupervisedOutcome> outcome =
      Supervise(*process, std::move(streams_), request.limits, cancel_fd, started, cgroup_,
                finish_later != nullptr);
  if (!outcome.ok()) return outcome;
  outcome->code_handed_over = handed_over;
  if (outcome->answered_before_exit) {
    // The uid stays leased until the process is reaped. The job's CPU is
    // its cgroup's (the exit fields, cpu included, are unset).
    auto job = std::make_shared<std::pair<std::unique_ptr<OwnChild>, IdentityLease>>(
        std::move(process), std::move(lease_));
    (*finish_later)([job] { FinishAnsweredJob(*job->first); });
    return outcome;
  }
  // Killed before it read its input (a death already under way when the
  // job came): the job never started.
  if (!outcome->timed_out && !outcome->cancelled && outcome->result.empty() && InputUnread()) {
    return Discard("died before reading its input");
  }
  outcome->cpu = std::max(absl::ZeroDuration(), outcome->cpu - *startup_cpu);
  return outcome;
}

}  // namespace flowgrid::sandbox
