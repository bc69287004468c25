#include "tests/chaos/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "deploy/local/local_cluster.h"

namespace flowgrid::chaos {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    std::string name, const std::string& binary, const std::vector<std::string>& args,
    const std::string& log_path) {
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(name, " binary ", binary,
                                                      " is not executable: ", std::strerror(errno)));
  }
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open log file ", log_path, " for ", name, ": ", std::strerror(errno)));
  }
  // The test is multi-threaded (gRPC): the child may only make
  // async-signal-safe calls, so argv is built before fork.
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(log_fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot fork for ", name, ": ", std::strerror(err)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so the group exists whichever runs first
  ::close(log_fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(std::move(name), pid, log_path));
}

ChildProcess::~ChildProcess() {
  if (!running_) return;
  ::kill(-pid_, SIGKILL);
  while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
  }
}

bool ChildProcess::Running() {
  if (running_ && ::waitpid(pid_, &wait_status_, WNOHANG) == pid_) running_ = false;
  return running_;
}

absl::StatusOr<std::string> ChildProcess::Stop(int signal, absl::Duration grace) {
  if (!Running()) {
    return absl::FailedPreconditionError(absl::StrCat(
        name_, " (pid ", pid_, ") had already ", DescribeWaitStatus(wait_status_)));
  }
  ::kill(pid_, signal);
  const absl::Time deadline = absl::Now() + grace;
  while (Running() && absl::Now() < deadline) absl::SleepFor(kPollInterval);
  if (running_) {
    ::kill(-pid_, SIGKILL);
    while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
    }
    running_ = false;
    return absl::StrCat(DescribeWaitStatus(wait_status_), " (SIGKILL after ",
                        absl::FormatDuration(grace), ")");
  }
  return DescribeWaitStatus(wait_status_);
}

}  // namespace flowgrid::chaos
