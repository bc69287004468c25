#include "tests/chaos/chaos_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace flowgrid::chaos {
namespace {

// A loopback port that is free now: the kernel picks it for a socket that
// is closed again at once. The scheduler binds it with SO_REUSEADDR, so a
// restart finds it free again after a crash.
absl::StatusOr<int> PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("cannot pick a loopback port: ", std::strerror(err)));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string WorkerId(int index) { return absl::StrCat("chaos-worker-", index + 1); }

}  // namespace

absl::StatusOr<std::unique_ptr<ChaosCluster>> ChaosCluster::Start(ChaosClusterOptions options) {
  for (const std::string& dir : {options.work_dir + "/data", options.work_dir + "/logs"}) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create ", dir, ": ", error.message()));
    }
  }
  std::unique_ptr<ChaosCluster> cluster(new ChaosCluster(std::move(options)));
  absl::StatusOr<int> client_port = PickFreePort();
  if (!client_port.ok()) return client_port.status();
  absl::StatusOr<int> worker_port = PickFreePort();
  if (!worker_port.ok()) return worker_port.status();
  cluster->client_address_ = absl::StrCat("127.0.0.1:", *client_port);
  cluster->worker_address_ = absl::StrCat("127.0.0.1:", *worker_port);

  if (absl::Status started = cluster->StartScheduler(); !started.ok()) return started;
  cluster->workers_.resize(cluster->options_.workers);
  for (int i = 0; i < cluster->options_.workers; ++i) {
    if (absl::Status started = cluster->StartWorker(i); !started.ok()) return started;
  }
  return cluster;
}

absl::Status ChaosCluster::StartScheduler() {
  const std::string data_dir = options_.work_dir + "/data";
  // A ready file left by the previous scheduler would be read as this one's.
  const std::string ready_file = data_dir + "/scheduler.ready.json";
  std::error_code ignored;
  std::filesystem::remove(ready_file, ignored);
  absl::StatusOr<std::unique_ptr<ChildProcess>> scheduler = ChildProcess::Start(
      "scheduler", options_.scheduler_binary,
      {"--client_addr=" + client_address_, "--worker_addr=" + worker_address_,
       "--data_dir=" + data_dir, "--ready_file=" + ready_file,
       absl::StrCat("--max_job_attempts=", options_.max_job_attempts)},
      log_dir() + "/scheduler.log");
  if (!scheduler.ok()) return scheduler.status();
  scheduler_ = *std::move(scheduler);

  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  while (!std::filesystem::exists(ready_file)) {
    if (!scheduler_->Running()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the scheduler exited before it was ready (log: ", scheduler_->log_path(), ")"));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("the scheduler was not ready within ",
                       absl::FormatDuration(options_.ready_timeout),
                       " (log: ", scheduler_->log_path(), ")"));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

absl::Status ChaosCluster::StartWorker(int index) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> worker = ChildProcess::Start(
      WorkerId(index), options_.worker_binary,
      {"--scheduler=" + worker_address_, absl::StrCat("--slots=", options_.slots_per_worker),
       "--worker_id=" + WorkerId(index),
       absl::StrCat("--sandbox_uid_base=", options_.uid_base + index * 1024),
       // Back in service soon after the scheduler restarts.
       "--reconnect_max_backoff=1s", "--drain_grace=5s"},
      absl::StrCat(log_dir(), "/", WorkerId(index), ".log"));
  if (!worker.ok()) return worker.status();
  workers_[index] = *std::move(worker);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ChaosCluster::KillScheduler() {
  if (scheduler_ == nullptr) return absl::FailedPreconditionError("the scheduler is not running");
  absl::StatusOr<std::string> ended = scheduler_->Stop(SIGKILL, absl::Seconds(10));
  scheduler_.reset();
  return ended;
}

absl::StatusOr<std::string> ChaosCluster::KillWorker(int index) {
  if (workers_[index] == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(WorkerId(index), " is not running"));
  }
  absl::StatusOr<std::string> ended = workers_[index]->Stop(SIGKILL, absl::Seconds(10));
  workers_[index].reset();
  return ended;
}

absl::Status ChaosCluster::RestartScheduler() {
  if (scheduler_ != nullptr) return absl::FailedPreconditionError("the scheduler is running");
  return StartScheduler();
}

absl::Status ChaosCluster::RestartWorker(int index) {
  if (workers_[index] != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(WorkerId(index), " is running"));
  }
  return StartWorker(index);
}

std::string ChaosCluster::UnexpectedExits() {
  std::string exits;
  auto check = [&](ChildProcess* child) {
    if (child != nullptr && !child->Running()) {
      absl::StrAppend(&exits, exits.empty() ? "" : "; ", child->name(), " (pid ", child->pid(),
                      ") exited on its own (log: ", child->log_path(), ")");
    }
  };
  check(scheduler_.get());
  for (const std::unique_ptr<ChildProcess>& worker : workers_) check(worker.get());
  return exits;
}

std::vector<std::string> ChaosCluster::Stop(absl::Duration grace) {
  std::vector<std::string> endings;
  auto stop = [&](std::unique_ptr<ChildProcess>& child) {
    if (child == nullptr) return;
    absl::StatusOr<std::string> ended = child->Stop(SIGTERM, grace);
    endings.push_back(absl::StrCat(child->name(), ": ",
                                   ended.ok() ? *ended : ended.status().message()));
    child.reset();
  };
  for (std::unique_ptr<ChildProcess>& worker : workers_) stop(worker);
  stop(scheduler_);
  return endings;
}

}  // namespace flowgrid::chaos
