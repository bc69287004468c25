#include "worker/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "worker/sandbox/contain.h"
#include "worker/sandbox/kernel_sandbox.h"
#include "worker/sandbox/rlimits.h"

namespace flowgrid::sandbox {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::ResourceExhaustedError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// The input lives in a memfd rather than a pipe so that it is written
// completely before the child starts: no writer loop, no SIGPIPE, no
// deadlock with a child that never reads. The size is sealed.
absl::StatusOr<UniqueFd> MakeInputFile(const std::string& input) {
  UniqueFd fd(::memfd_create("flowgrid-job-input", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("memfd_create");
  size_t written = 0;
  while (written < input.size()) {
    const ssize_t n = ::write(fd.get(), input.data() + written, input.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write job input");
    written += static_cast<size_t>(n);
  }
  if (::lseek(fd.get(), 0, SEEK_SET) != 0) return ErrnoError("lseek job input");
  if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return ErrnoError("seal job input");
  }
  return fd;
}

}  // namespace

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe2");
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

absl::StatusOr<IdentityLease> IdentityLease::Acquire() {
  IdentityLease lease;
  KernelSandbox* kernel = ActiveKernelSandbox();
  if (kernel == nullptr) return lease;
  absl::StatusOr<uid_t> uid = kernel->uids().Acquire();
  if (!uid.ok()) return uid.status();
  lease.kernel_ = kernel;
  lease.identity_ = JobIdentity{true, *uid, *uid};
  return lease;
}

IdentityLease::IdentityLease(IdentityLease&& other) noexcept
    : kernel_(std::exchange(other.kernel_, nullptr)), identity_(other.identity_) {}

IdentityLease::~IdentityLease() {
  if (kernel_ != nullptr) kernel_->uids().Release(identity_.uid);
}

std::optional<ChildIsolation> IsolationFor(const JobIdentity& identity,
                                           const std::string& executable) {
  KernelSandbox* kernel = ActiveKernelSandbox();
  if (!identity.isolated || kernel == nullptr) return std::nullopt;
  return ChildIsolation{kernel->netns_fd(), kernel->root_dir().c_str(), &kernel->scratch(),
                        identity.uid, identity.gid, kernel->SeccompFor(executable)};
}

void OutputChannels::CloseWriteEnds() {
  stdout_write.Reset();
  stderr_write.Reset();
  result_write.Reset();
}

absl::StatusOr<OutputChannels> OpenOutputChannels() {
  OutputChannels channels;
  for (auto [write_end, read_end] :
       {std::pair{&channels.stdout_write, &channels.read_ends.stdout_read},
        std::pair{&channels.stderr_write, &channels.read_ends.stderr_read},
        std::pair{&channels.result_write, &channels.read_ends.result_read}}) {
    absl::StatusOr<Pipe> pipe = MakePipe();
    if (!pipe.ok()) return pipe.status();
    *write_end = std::move(pipe->write_end);
    *read_end = std::move(pipe->read_end);
  }
  return channels;
}

absl::StatusOr<SpawnedChild> SpawnInCgroup(ChildSpec spec, SlotCgroup* cgroup) {
  if (cgroup == nullptr) return SpawnContained(spec);
  spec.cgroup_fd = cgroup->SpawnFd();
  if (absl::Status entered = cgroup->BeforeSpawn(); !entered.ok()) return entered;
  absl::StatusOr<SpawnedChild> child = SpawnContained(spec);
  absl::Status attached = cgroup->AfterSpawn(child.ok() ? child->pid : -1);
  if (child.ok() && !attached.ok()) {
    OwnChild doomed(*std::move(child), nullptr);
    doomed.Kill();
    (void)doomed.Reap();
    return attached;
  }
  return child;
}

absl::StatusOr<SupervisedOutcome> RunContainedJob(const SandboxRequest& request, int cancel_fd,
                                                  const JobStarter& start,
                                                  const FinishLater* finish_later) {
  absl::StatusOr<OutputChannels> output = OpenOutputChannels();
  if (!output.ok()) return output.status();
  absl::StatusOr<UniqueFd> input = MakeInputFile(request.input);
  if (!input.ok()) return input.status();

  // The job's uid is leased until every process of the job is gone: when
  // Supervise returns, or when a job that answered first is finished.
  absl::StatusOr<IdentityLease> lease = IdentityLease::Acquire();
  if (!lease.ok()) return lease.status();

  const absl::Time started = MonotonicNow();
  absl::StatusOr<std::unique_ptr<JobProcess>> process =
      start(ChildFds{output->stdout_write.get(), output->stderr_write.get(), input->get(),
                     output->result_write.get()},
            lease->identity(), RlimitsForJob(request.limits.wall_timeout));
  if (!process.ok()) return process.status();
  const absl::Time handed_over = MonotonicNow();
  // The worker's copies of the child's ends must go now: EOF on a pipe
  // means every writer is gone, and the worker must not count as one.
  output->CloseWriteEnds();
  input->Reset();

  absl::StatusOr<SupervisedOutcome> outcome =
      Supervise(**process, std::move(output->read_ends), request.limits, cancel_fd, started,
                request.cgroup, finish_later != nullptr);
  if (outcome.ok()) outcome->code_handed_over = handed_over;
  if (outcome.ok() && outcome->answered_before_exit) {
    // The uid stays leased until the process is reaped.
    auto job = std::make_shared<std::pair<std::unique_ptr<JobProcess>, IdentityLease>>(
        *std::move(process), *std::move(lease));
    (*finish_later)([job] { FinishAnsweredJob(*job->first); });
  }
  return outcome;
}

absl::StatusOr<SupervisedOutcome> RunInSandbox(const SandboxRequest& request, int cancel_fd,
                                               const FinishLater* finish_later) {
  return RunContainedJob(
      request, cancel_fd,
      [&request](const ChildFds& fds, const JobIdentity& identity,
                 const RlimitPlan& rlimits) -> absl::StatusOr<std::unique_ptr<JobProcess>> {
        ChildSpec spec;
        spec.executable = request.executable;
        spec.argv = request.argv;
        spec.env = request.env;
        spec.fds = fds;
        spec.rlimits = rlimits;
        const std::optional<ChildIsolation> isolation =
            IsolationFor(identity, request.executable);
        if (isolation.has_value()) spec.isolation = &*isolation;
        absl::StatusOr<SpawnedChild> child = SpawnInCgroup(std::move(spec), request.cgroup);
        if (!child.ok()) return child.status();
        return std::make_unique<OwnChild>(*std::move(child), request.cgroup);
      },
      finish_later);
}

}  // namespace flowgrid::sandbox
