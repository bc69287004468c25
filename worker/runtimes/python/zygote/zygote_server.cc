#include "worker/runtimes/python/zygote/zygote_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "worker/runtimes/python/zygote/embedded_harness.h"
#include "worker/sandbox/job_root.h"
#include "worker/sandbox/namespaces.h"
#include "worker/sandbox/signals.h"

namespace flowgrid::runtimes::python::zygote {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Field 20 of /proc/self/stat (open as `stat_fd`): the number of threads.
absl::StatusOr<int> ThreadCount(int stat_fd) {
  char text[1024];
  const ssize_t n = ::pread(stat_fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return ErrnoError("reading /proc/self/stat");
  const std::string stat(text, static_cast<size_t>(n));
  // The command name (field 2) may contain spaces; fields restart after ')'.
  const size_t after_name = stat.rfind(')');
  if (after_name == std::string::npos) return absl::InternalError("unreadable /proc/self/stat");
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(stat).substr(after_name + 2), ' ');
  int threads = 0;
  // Fields from 3 on: field 20 is at index 17.
  if (fields.size() < 18 || !absl::SimpleAtoi(fields[17], &threads)) {
    return absl::InternalError("unreadable /proc/self/stat");
  }
  return threads;
}

absl::Status SendEvent(const ZygoteEvent& event, const std::vector<int>& fds = {}) {
  return SendMessage(kControlFd, &event, sizeof(event), fds);
}

}  // namespace

ZygoteServer::ZygoteServer(const Options& options) : options_(options) {}

ZygoteServer::~ZygoteServer() {
  if (report_ != nullptr) ::munmap(report_, sizeof(SetupReport));
}

absl::StatusOr<std::unique_ptr<ZygoteServer>> ZygoteServer::Create(const Options& options) {
  std::unique_ptr<ZygoteServer> server(new ZygoteServer(options));
  // Opened before the pivot: the job root has no /proc of the zygote's pid
  // namespace. Children close it with every other descriptor.
  server->stat_fd_.Reset(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  if (!server->stat_fd_.valid()) return ErrnoError("open /proc/self/stat");
  if (options.isolated) {
    if (int err = sandbox::JoinNetworkNamespace(kNetnsFd); err != 0) {
      return absl::InternalError(absl::StrCat("joining the network namespace on fd ", kNetnsFd,
                                              ": ", std::strerror(err)));
    }
    ::close(kNetnsFd);
    if (::unshare(CLONE_NEWNS) != 0) return ErrnoError("unshare(CLONE_NEWNS)");
    if (int err = sandbox::EnterJobRoot(options.root_dir.c_str()); err != 0) {
      return absl::InternalError(absl::StrCat("entering the job root \"", options.root_dir,
                                              "\": ", std::strerror(err)));
    }
    absl::StatusOr<sandbox::SeccompProgram> seccomp =
        sandbox::CompileSeccompPolicy(sandbox::SyscallProfile::kForkedPython);
    if (!seccomp.ok()) return seccomp.status();
    server->seccomp_ = *std::move(seccomp);
    server->seccomp_program_ = server->seccomp_->program();
  }
  sigset_t sigchld;
  sigemptyset(&sigchld);
  sigaddset(&sigchld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &sigchld, nullptr) != 0) return ErrnoError("sigprocmask");
  server->sigchld_fd_.Reset(::signalfd(-1, &sigchld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!server->sigchld_fd_.valid()) return ErrnoError("signalfd");

  void* page = ::mmap(nullptr, sizeof(SetupReport), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return ErrnoError("mmap of the setup report");
  server->report_ = new (page) SetupReport;
  return server;
}

absl::Status ZygoteServer::Serve() {
  // Dispositions survive a fork. They are reset here once, after the
  // interpreter's start and warm-up, and nothing in the zygote changes them
  // later, so that a job's child only has to unblock SIGCHLD instead of
  // resetting every signal again (64 system calls).
  sigset_t sigchld;
  sigemptyset(&sigchld);
  sigaddset(&sigchld, SIGCHLD);
  if (int err = sandbox::ResetSignals(sigchld); err != 0) {
    return absl::InternalError(absl::StrCat("resetting signal dispositions: ",
                                            std::strerror(err)));
  }
  ZygoteEvent ready;
  ready.kind = ZygoteEvent::kReady;
  if (absl::Status status = SendEvent(ready); !status.ok()) return status;
  while (true) {
    struct pollfd fds[2] = {{kControlFd, POLLIN, 0}, {sigchld_fd_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("poll");
    }
    if (fds[1].revents != 0) {
      if (absl::Status status = ReapChildren(); !status.ok()) return status;
    }
    if (fds[0].revents != 0) {
      JobRequest request;
      std::vector<sandbox::UniqueFd> job_fds;
      absl::Status received = ReceiveMessage(kControlFd, &request, sizeof(request), &job_fds);
      if (absl::IsUnavailable(received)) return absl::OkStatus();  // the worker is done
      if (!received.ok()) return received;
      if (job_fds.size() != kJobRequestFds) {
        return absl::InvalidArgumentError(absl::StrCat("a job request came with ",
                                                       job_fds.size(), " descriptors, not ",
                                                       kJobRequestFds));
      }
      if (child_pid_ > 0) {
        return absl::FailedPreconditionError("a job request came while a job was running");
      }
      if (absl::Status status = StartJob(request, std::move(job_fds)); !status.ok()) {
        return status;
      }
    }
  }
}

absl::Status ZygoteServer::StartJob(const JobRequest& request,
                                    std::vector<sandbox::UniqueFd> fds) {
  absl::StatusOr<int> threads = ThreadCount(stat_fd_.get());
  if (!threads.ok()) return threads.status();
  if (*threads != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("the zygote has ", *threads, " threads; it must fork single-threaded"));
  }
  JobChildSpec spec;
  spec.request = &request;
  spec.fds = sandbox::ChildFds{fds[0].get(), fds[1].get(), fds[2].get(), fds[3].get()};
  spec.isolated = options_.isolated;
  spec.scratch = &options_.scratch;
  spec.seccomp = seccomp_.has_value() ? &seccomp_program_ : nullptr;
  spec.report = report_;
  spec.zygote_pid = ::getpid();
  *report_ = SetupReport{};

  const unsigned long flags = SIGCHLD | (options_.isolated ? sandbox::kJobNamespaceFlags : 0);
  BeforeFork();
  // A raw clone: glibc's fork() cannot create namespaces. Like fork, it
  // copies the address space; the child continues on its own copy of this
  // stack (the stack argument is 0).
  const long pid = ::syscall(SYS_clone, flags, 0, nullptr, nullptr, 0);
  if (pid == 0) RunJobChild(spec);
  const int clone_errno = errno;
  AfterForkInParent();

  ZygoteEvent event;
  event.job_number = request.job_number;
  if (pid < 0) {
    event.kind = ZygoteEvent::kSetupFailed;
    event.failed_step = static_cast<int32_t>(JobStep::kNone);
    event.failed_errno = clone_errno;
    return SendEvent(event);
  }
  child_pid_ = static_cast<pid_t>(pid);
  child_job_number_ = request.job_number;
  // The worker watches and kills the job through this descriptor; the
  // zygote alone reaps it.
  sandbox::UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return ErrnoError("pidfd_open");
  event.kind = ZygoteEvent::kStarted;
  event.pid = child_pid_;
  return SendEvent(event, {pidfd.get()});
}

absl::Status ZygoteServer::ReapChildren() {
  struct signalfd_siginfo info;
  while (::read(sigchld_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
  }
  while (true) {
    int wait_status = 0;
    struct rusage usage = {};
    const pid_t pid = ::wait4(-1, &wait_status, WNOHANG, &usage);
    if (pid == 0 || (pid < 0 && errno == ECHILD)) return absl::OkStatus();
    if (pid < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("wait4");
    }
    if (pid != child_pid_) continue;
    ZygoteEvent event;
    event.job_number = child_job_number_;
    if (report_->failed_step != JobStep::kNone) {
      event.kind = ZygoteEvent::kSetupFailed;
      event.failed_step = static_cast<int32_t>(report_->failed_step);
      event.failed_errno = report_->failed_errno;
    } else {
      event.kind = ZygoteEvent::kExited;
      event.wait_status = wait_status;
      event.cpu_us = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1'000'000L +
                     usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
      event.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // KiB
    }
    child_pid_ = -1;
    if (absl::Status status = SendEvent(event); !status.ok()) return status;
  }
}

}  // namespace flowgrid::runtimes::python::zygote
