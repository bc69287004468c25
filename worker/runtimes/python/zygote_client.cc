#include "worker/runtimes/python/zygote_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "worker/sandbox/contain.h"
#include "worker/sandbox/kernel_sandbox.h"

namespace flowgrid::runtimes::python {
namespace {

using zygote::ZygoteEvent;

// A warm-up imports every allowed module and Jinja2: well under a second,
// unless the machine is badly overloaded.
constexpr int kReadyTimeoutMs = 60'000;
// The zygote's own descriptors: a few for itself, four per job in flight
// and a pidfd, the interpreter's transient imports.
constexpr rlim_t kZygoteOpenFiles = 256;

constexpr sandbox::CgroupLimits kZygoteStartLimits = {512 << 20, 8};

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

// A job forked by the zygote. The worker holds its pidfd (to watch and
// kill it); the zygote reaps it and reports the wait status.
class PythonZygote::Job final : public sandbox::JobProcess {
 public:
  Job(PythonZygote* zygote, uint64_t number, pid_t pid, sandbox::UniqueFd pidfd)
      : zygote_(zygote), number_(number), pid_(pid), pidfd_(std::move(pidfd)) {}

  pid_t pid() const override { return pid_; }
  int pidfd() const override { return pidfd_.get(); }

  void Kill() override {
    // In its pid namespace the job is pid 1: its death takes every other
    // process of the namespace with it.
    ::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
  }

  absl::StatusOr<sandbox::ProcessExit> Reap() override {
    absl::StatusOr<ZygoteEvent> event = zygote_->NextEvent(number_, nullptr);
    if (absl::IsUnavailable(event.status())) {
      // Its child died with it (parent-death signal).
      return absl::InternalError("the Python zygote exited while running the job");
    }
    if (!event.ok()) return event.status();
    if (event->kind == ZygoteEvent::kSetupFailed) {
      return absl::InternalError(absl::StrCat(
          "sandbox setup step \"",
          zygote::JobStepName(static_cast<zygote::JobStep>(event->failed_step)),
          "\" failed: ", std::strerror(event->failed_errno)));
    }
    if (event->kind != ZygoteEvent::kExited) {
      zygote_->healthy_ = false;
      return absl::InternalError("the Python zygote broke its protocol");
    }
    return sandbox::ProcessExit{event->wait_status, absl::Microseconds(event->cpu_us),
                                event->peak_rss_bytes};
  }

 private:
  PythonZygote* zygote_;
  uint64_t number_;
  pid_t pid_;
  sandbox::UniqueFd pidfd_;
};

PythonZygote::PythonZygote(sandbox::SpawnedChild process, sandbox::UniqueFd socket,
                           int max_jobs)
    : process_(std::move(process)), socket_(std::move(socket)), max_jobs_(max_jobs) {}

PythonZygote::~PythonZygote() {
  // EOF on its socket ends the zygote's loop; it has no job running (the
  // owner reaped the last one), so it exits at once.
  socket_.Reset();
  struct pollfd exited = {process_.pidfd.get(), POLLIN, 0};
  if (::poll(&exited, 1, 1000) != 1) ::kill(process_.pid, SIGKILL);
  while (::waitpid(process_.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

absl::StatusOr<std::unique_ptr<PythonZygote>> PythonZygote::Start(const ZygoteOptions& options,
                                                                  sandbox::SlotCgroup* cgroup) {
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) {
    return ErrnoError("socketpair for the zygote");
  }
  sandbox::UniqueFd worker_end(sockets[0]);
  sandbox::UniqueFd zygote_end(sockets[1]);
  sandbox::UniqueFd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!dev_null.valid()) return ErrnoError("open /dev/null");

  sandbox::ChildSpec spec;
  spec.executable = options.binary;
  spec.argv = {options.binary};
  int netns_fd = dev_null.get();
  if (options.isolated) {
    sandbox::KernelSandbox* kernel = sandbox::ActiveKernelSandbox();
    if (kernel == nullptr) {
      return absl::FailedPreconditionError("an isolated zygote needs the kernel sandbox enabled");
    }
    netns_fd = kernel->netns_fd();
    spec.argv.push_back("--isolated");
    spec.argv.push_back(absl::StrCat("--root=", kernel->root_dir()));
    spec.argv.push_back(absl::StrCat("--scratch_tmpfs_options=", kernel->scratch().tmpfs_data));
  }
  // LD_BIND_NOW: every symbol is resolved once, in the zygote, instead of
  // lazily again in each forked child (whose writes to the GOT would also
  // copy pages).
  spec.env = {"LC_ALL=C.UTF-8", "LD_BIND_NOW=1"};
  // stdout is unused; stderr is the worker's, for the zygote's own errors.
  // The slots of a job's input and result carry the socket and the network
  // namespace (zygote/protocol.h).
  spec.fds = sandbox::ChildFds{dev_null.get(), STDERR_FILENO, zygote_end.get(), netns_fd};
  spec.rlimits.cpu_seconds_soft = RLIM_INFINITY;
  spec.rlimits.cpu_seconds_hard = RLIM_INFINITY;
  spec.rlimits.file_size_bytes = RLIM_INFINITY;
  spec.rlimits.open_files = kZygoteOpenFiles;
  spec.cgroup_fd = cgroup != nullptr ? cgroup->SpawnFd() : -1;

  if (cgroup != nullptr) {
    if (absl::Status entered = cgroup->BeforeSpawn(); !entered.ok()) return entered;
  }
  absl::StatusOr<sandbox::SpawnedChild> process = sandbox::SpawnContained(spec);
  if (cgroup != nullptr) {
    absl::Status attached = cgroup->AfterSpawn(process.ok() ? process->pid : -1);
    if (process.ok() && !attached.ok()) {
      // Never run outside the slot's limits (as sandbox.cc's spawn).
      sandbox::OwnChild doomed(*std::move(process), nullptr);
      doomed.Kill();
      (void)doomed.Reap();
      return attached;
    }
  }
  if (!process.ok()) {
    return absl::Status(process.status().code(), absl::StrCat("starting the Python zygote ",
                                                              options.binary, ": ",
                                                              process.status().message()));
  }
  zygote_end.Reset();

  std::unique_ptr<PythonZygote> zygote(
      new PythonZygote(*std::move(process), std::move(worker_end), options.max_jobs));
  struct pollfd ready = {zygote->socket_.get(), POLLIN, 0};
  const int polled = ::poll(&ready, 1, kReadyTimeoutMs);
  if (polled < 0) return ErrnoError("poll on the zygote socket");
  if (polled == 0) {
    return absl::DeadlineExceededError(
        absl::StrCat("the Python zygote was not ready after ", kReadyTimeoutMs, " ms"));
  }
  ZygoteEvent event;
  absl::Status received =
      zygote::ReceiveMessage(zygote->socket_.get(), &event, sizeof(event), nullptr);
  if (!received.ok() || event.kind != ZygoteEvent::kReady) {
    return absl::InternalError(
        "the Python zygote exited before it was ready (its error is in the worker's log)");
  }
  return zygote;
}

bool PythonZygote::usable() const {
  if (!healthy_ || jobs_started_ >= max_jobs_) return false;
  // Killed while idle (by an operator, the OOM killer): its pidfd is
  // readable.
  struct pollfd exited = {process_.pidfd.get(), POLLIN, 0};
  return ::poll(&exited, 1, 0) == 0;
}

absl::StatusOr<ZygoteEvent> PythonZygote::NextEvent(uint64_t job_number,
                                                    std::vector<sandbox::UniqueFd>* fds) {
  ZygoteEvent event;
  absl::Status received = zygote::ReceiveMessage(socket_.get(), &event, sizeof(event), fds);
  if (!received.ok()) {
    healthy_ = false;
    return received;
  }
  if (event.job_number != job_number) {
    healthy_ = false;
    return absl::InternalError(absl::StrCat("the Python zygote answered for job ",
                                            event.job_number, " instead of ", job_number));
  }
  return event;
}

absl::StatusOr<std::unique_ptr<sandbox::JobProcess>> PythonZygote::StartJob(
    const sandbox::ChildFds& fds, uid_t uid, gid_t gid, const sandbox::RlimitPlan& rlimits) {
  zygote::JobRequest request;
  request.job_number = static_cast<uint64_t>(++jobs_started_);
  request.uid = uid;
  request.gid = gid;
  request.rlimits = rlimits;
  absl::Status sent =
      zygote::SendMessage(socket_.get(), &request, sizeof(request),
                          {fds.stdout_fd, fds.stderr_fd, fds.input_fd, fds.result_fd});
  if (!sent.ok()) {
    healthy_ = false;
    return sent;
  }
  std::vector<sandbox::UniqueFd> pidfd;
  absl::StatusOr<ZygoteEvent> event = NextEvent(request.job_number, &pidfd);
  if (!event.ok()) return event.status();
  if (event->kind == ZygoteEvent::kSetupFailed) {
    return absl::InternalError(absl::StrCat("the Python zygote could not fork the job: ",
                                            std::strerror(event->failed_errno)));
  }
  if (event->kind != ZygoteEvent::kStarted || pidfd.size() != 1) {
    healthy_ = false;
    return absl::InternalError("the Python zygote broke its protocol");
  }
  return std::make_unique<Job>(this, request.job_number, event->pid, std::move(pidfd[0]));
}

absl::StatusOr<std::unique_ptr<PythonZygotes::Lease>> PythonZygotes::Acquire(
    sandbox::SlotCgroup* cgroup) {
  std::unique_ptr<PythonZygote> zygote;
  std::vector<std::unique_ptr<PythonZygote>> retired;
  {
    absl::MutexLock lock(&mu_);
    std::vector<std::unique_ptr<PythonZygote>>& idle = idle_[cgroup];
    while (!idle.empty() && zygote == nullptr) {
      std::unique_ptr<PythonZygote> candidate = std::move(idle.back());
      idle.pop_back();
      if (candidate->usable()) {
        zygote = std::move(candidate);
      } else {
        retired.push_back(std::move(candidate));
      }
    }
  }
  retired.clear();  // outside the lock: reaping waits for the process
  if (zygote == nullptr) {
    absl::StatusOr<std::unique_ptr<PythonZygote>> started = StartZygote(cgroup);
    if (!started.ok()) return started.status();
    zygote = *std::move(started);
  }
  return std::make_unique<Lease>(this, cgroup, std::move(zygote));
}

absl::Status PythonZygotes::Lease::Replace() {
  zygote_.reset();
  absl::StatusOr<std::unique_ptr<PythonZygote>> started = owner_->StartZygote(key_);
  if (!started.ok()) return started.status();
  zygote_ = *std::move(started);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PythonZygote>> PythonZygotes::StartZygote(
    sandbox::SlotCgroup* cgroup) {
  // The previous job's limits may be too tight for an interpreter's
  // start-up; the job's own are set once the zygote is warm.
  if (cgroup != nullptr) {
    if (absl::Status roomy = cgroup->SetLimits(kZygoteStartLimits); !roomy.ok()) return roomy;
  }
  return PythonZygote::Start(options_, cgroup);
}

void PythonZygotes::Release(sandbox::SlotCgroup* key, std::unique_ptr<PythonZygote> zygote) {
  if (!zygote->usable()) return;  // destroyed here, outside the lock
  absl::MutexLock lock(&mu_);
  idle_[key].push_back(std::move(zygote));
}

absl::StatusOr<sandbox::SupervisedOutcome> RunOnZygote(
    PythonZygotes::Lease& zygote, const sandbox::SandboxRequest& request, int cancel_fd,
    const sandbox::FinishLater* finish_later) {
  return sandbox::RunContainedJob(
      request, cancel_fd,
      [&zygote](const sandbox::ChildFds& fds, const sandbox::JobIdentity& identity,
                const sandbox::RlimitPlan& rlimits)
          -> absl::StatusOr<std::unique_ptr<sandbox::JobProcess>> {
        absl::StatusOr<std::unique_ptr<sandbox::JobProcess>> process =
            zygote->StartJob(fds, identity.uid, identity.gid, rlimits);
        // Gone before the job began (killed while idle, a moment ago):
        // nothing of the job ran, so a fresh zygote takes it.
        if (!absl::IsUnavailable(process.status())) return process;
        if (absl::Status replaced = zygote.Replace(); !replaced.ok()) return replaced;
        return zygote->StartJob(fds, identity.uid, identity.gid, rlimits);
      },
      finish_later);
}

}  // namespace flowgrid::runtimes::python
