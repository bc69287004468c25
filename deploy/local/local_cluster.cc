#include "deploy/local/local_cluster.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/workflow_file.h"
#include "nlohmann/json.hpp"

namespace flowgrid {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(20);

std::string ErrnoText(int err) { return std::strerror(err); }

struct ReadyAddresses {
  std::string client;
  std::string worker;
  std::string metrics;  // "" when metrics are off
  std::string console;  // "" when the console is off
};

// Parses the scheduler's ready file; the client and worker addresses must
// be present, the metrics address when `with_metrics` and the console's
// when `with_console`.
absl::StatusOr<ReadyAddresses> ParseReadyFile(const std::string& path, const std::string& text,
                                              bool with_metrics, bool with_console) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InternalError(absl::StrCat(
        "scheduler ready file ", path, " is not a JSON object: ", text));
  }
  auto field = [&](const char* name) -> absl::StatusOr<std::string> {
    auto it = doc.find(name);
    if (it == doc.end() || !it->is_string() || it->get<std::string>().empty()) {
      return absl::InternalError(absl::StrCat("scheduler ready file ", path,
                                              " has no string \"", name,
                                              "\": ", text));
    }
    return it->get<std::string>();
  };
  absl::StatusOr<std::string> client = field("client_addr");
  if (!client.ok()) return client.status();
  absl::StatusOr<std::string> worker = field("worker_addr");
  if (!worker.ok()) return worker.status();
  ReadyAddresses addresses{*std::move(client), *std::move(worker), "", ""};
  if (with_metrics) {
    absl::StatusOr<std::string> metrics = field("metrics_addr");
    if (!metrics.ok()) return metrics.status();
    addresses.metrics = *std::move(metrics);
  }
  if (with_console) {
    absl::StatusOr<std::string> console = field("console_addr");
    if (!console.ok()) return console.status();
    addresses.console = *std::move(console);
  }
  return addresses;
}

}  // namespace

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  }
  if (WIFSIGNALED(wait_status)) {
    int sig = WTERMSIG(wait_status);
    return absl::StrCat("killed by signal ", sig, " (", strsignal(sig), ")");
  }
  return absl::StrCat("stopped with wait status ", wait_status);
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(
    LocalClusterOptions options) {
  if (options.workers < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker count must be >= 0, got ", options.workers));
  }
  if (options.slots_per_worker < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "slots per worker must be >= 1, got ", options.slots_per_worker));
  }
  for (const std::string* dir : {&options.data_dir, &options.log_dir}) {
    if (dir->empty()) continue;
    std::error_code error;
    std::filesystem::create_directories(*dir, error);
    if (error) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create directory ", *dir, ": ", error.message()));
    }
  }
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("data directory must be set");
  }
  if (options.tls_dir.empty() &&
      (!options.api_keys_file.empty() || !options.worker_token_file.empty())) {
    return absl::InvalidArgumentError(
        "an API keys file or a worker token file needs TLS (a tls_dir)");
  }

  std::unique_ptr<LocalCluster> cluster(new LocalCluster(std::move(options)));
  const LocalClusterOptions& opts = cluster->options_;
  if (!opts.tls_dir.empty()) {
    absl::StatusOr<tls::DevPki> pki = tls::EnsureDevPki(opts.tls_dir);
    if (!pki.ok()) return pki.status();
    cluster->dev_pki_ = *std::move(pki);
  }

  absl::Status status = cluster->StartScheduler(opts.client_addr, opts.worker_addr);
  for (int i = 1; status.ok() && i <= opts.workers; ++i) status = cluster->StartWorker().status();
  if (!status.ok()) {
    // Stop() reports how the children ended; the start error is the cause.
    absl::Status stopped = cluster->Stop();
    if (!stopped.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat(status.message(), "; while stopping: ",
                                       stopped.message()));
    }
    return status;
  }
  return cluster;
}

LocalCluster::~LocalCluster() { (void)Stop(); }

absl::StatusOr<std::string> LocalCluster::StartWorker(const std::vector<std::string>& extra_args) {
  const int i = ++workers_started_;
  std::string name = absl::StrCat("worker-", i);
  // Workers on one host need disjoint job uid ranges: a job's uid must be
  // its own (worker/main.cc --sandbox_uid_base).
  std::vector<std::string> args = {"--scheduler=" + worker_address_,
                                   absl::StrCat("--slots=", options_.slots_per_worker),
                                   "--worker_id=" + name,
                                   absl::StrCat("--sandbox_uid_base=",
                                                options_.worker_uid_base + (i - 1) * 1024)};
  if (dev_pki_.has_value()) {
    args.push_back("--tls_ca_file=" + dev_pki_->ca_cert);
    args.push_back("--tls_cert_file=" + dev_pki_->worker_cert);
    args.push_back("--tls_key_file=" + dev_pki_->worker_key);
  }
  if (!options_.worker_token_file.empty()) {
    args.push_back("--token_file=" + options_.worker_token_file);
  }
  args.insert(args.end(), options_.extra_worker_args.begin(), options_.extra_worker_args.end());
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<Child> worker = SpawnChild(name, options_.worker_binary, args);
  if (!worker.ok()) return worker.status();
  children_.push_back(*std::move(worker));
  return name;
}

absl::Status LocalCluster::StartScheduler(const std::string& client_addr,
                                          const std::string& worker_addr) {
  // A ready file left by an earlier scheduler would be read as this one's.
  const std::string ready_file = options_.data_dir + "/scheduler.ready.json";
  if (::unlink(ready_file.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot remove stale ready file ", ready_file, ": ", ErrnoText(errno)));
  }
  // A restarted scheduler gets its own name, hence its own log file.
  std::string name =
      children_.empty() ? "scheduler" : absl::StrCat("scheduler-restart-", ++restarts_);
  std::vector<std::string> args = {"--client_addr=" + client_addr, "--worker_addr=" + worker_addr,
                                   "--data_dir=" + options_.data_dir, "--ready_file=" + ready_file};
  if (!options_.scheduler_metrics_addr.empty()) {
    args.push_back("--metrics_addr=" + options_.scheduler_metrics_addr);
  }
  if (!options_.scheduler_console_addr.empty()) {
    args.push_back("--console_addr=" + options_.scheduler_console_addr);
  }
  if (dev_pki_.has_value()) {
    args.push_back("--tls_cert_file=" + dev_pki_->server_cert);
    args.push_back("--tls_key_file=" + dev_pki_->server_key);
    args.push_back("--worker_ca_file=" + dev_pki_->ca_cert);
  }
  if (!options_.api_keys_file.empty()) args.push_back("--api_keys_file=" + options_.api_keys_file);
  if (!options_.worker_token_file.empty()) {
    args.push_back("--worker_token_file=" + options_.worker_token_file);
  }
  args.insert(args.end(), options_.extra_scheduler_args.begin(),
              options_.extra_scheduler_args.end());
  absl::StatusOr<Child> scheduler =
      SpawnChild(std::move(name), options_.scheduler_binary, args);
  if (!scheduler.ok()) return scheduler.status();
  if (children_.empty()) {
    children_.push_back(*std::move(scheduler));
  } else {
    children_.front() = *std::move(scheduler);
  }
  return WaitForSchedulerReady(ready_file);
}

absl::StatusOr<ChildExit> LocalCluster::StopScheduler(StopSignal signal) {
  if (children_.empty() || !children_.front().running) {
    return absl::FailedPreconditionError("the scheduler is not running");
  }
  StopRange(0, 1, signal);
  const Child& scheduler = children_.front();
  const int wait_status = scheduler.wait_status.value_or(0);
  return ChildExit{scheduler.name, scheduler.pid, DescribeWaitStatus(wait_status),
                   WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0};
}

absl::Status LocalCluster::RestartScheduler(const std::string& client_addr) {
  if (children_.empty()) return absl::FailedPreconditionError("the cluster was never started");
  if (children_.front().running) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the scheduler (pid ", children_.front().pid, ") is still running; stop it first"));
  }
  return StartScheduler(client_addr.empty() ? client_address_ : client_addr, worker_address_);
}

absl::StatusOr<LocalCluster::Child> LocalCluster::SpawnChild(
    std::string name, const std::string& binary, const std::vector<std::string>& args) {
  if (::access(binary.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        name, " binary ", binary, " is not executable: ", ErrnoText(errno)));
  }
  std::string log_path;
  int log_fd = -1;
  if (!options_.log_dir.empty()) {
    log_path = absl::StrCat(options_.log_dir, "/", name, ".log");
    log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot open log file ", log_path, " for ", name, ": ", ErrnoText(errno)));
    }
  }

  // Everything the child touches is prepared before fork: the parent may be
  // multi-threaded (gRPC), so the child may only make async-signal-safe calls.
  std::vector<std::string> argv_storage = {binary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    if (log_fd >= 0) ::close(log_fd);
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot fork for ", name, ": ", ErrnoText(err)));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // parent died before prctl
    // Signal mask and handlers of the parent (which may block SIGINT/SIGTERM
    // to wait for them synchronously) must not leak into the child.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP}) {
      ::sigaction(sig, &default_action, nullptr);
    }
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    static constexpr char kMessage[] = "flowgrid local cluster: execv failed\n";
    ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here, so the group exists whichever runs first
  if (log_fd >= 0) ::close(log_fd);
  Child child;
  child.name = std::move(name);
  child.pid = pid;
  child.log_path = std::move(log_path);
  return child;
}

absl::Status LocalCluster::WaitForSchedulerReady(const std::string& ready_file) {
  Child& scheduler = children_.front();
  const absl::Time deadline = absl::Now() + options_.ready_timeout;
  const std::string log_hint =
      scheduler.log_path.empty() ? "" : absl::StrCat(" (log: ", scheduler.log_path, ")");
  while (true) {
    int wait_status = 0;
    if (::waitpid(scheduler.pid, &wait_status, WNOHANG) == scheduler.pid) {
      scheduler.running = false;
      scheduler.wait_status = wait_status;
      return absl::FailedPreconditionError(
          absl::StrCat("scheduler ", DescribeWaitStatus(wait_status),
                       " before becoming ready", log_hint));
    }
    if (::access(ready_file.c_str(), F_OK) == 0) {
      absl::StatusOr<std::string> text = ReadFile(ready_file);
      if (!text.ok()) return text.status();
      absl::StatusOr<ReadyAddresses> addresses =
          ParseReadyFile(ready_file, *text, !options_.scheduler_metrics_addr.empty(),
                         !options_.scheduler_console_addr.empty());
      if (!addresses.ok()) return addresses.status();
      client_address_ = addresses->client;
      worker_address_ = addresses->worker;
      scheduler_metrics_address_ = addresses->metrics;
      console_address_ = addresses->console;
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "scheduler did not write its ready file ", ready_file, " within ",
          absl::FormatDuration(options_.ready_timeout), log_hint));
    }
    absl::SleepFor(kPollInterval);
  }
}

std::optional<ChildExit> LocalCluster::PollExited() {
  for (Child& child : children_) {
    if (!child.running) continue;
    int wait_status = 0;
    if (::waitpid(child.pid, &wait_status, WNOHANG) != child.pid) continue;
    child.running = false;
    child.wait_status = wait_status;
    return ChildExit{child.name, child.pid, DescribeWaitStatus(wait_status),
                     WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0};
  }
  return std::nullopt;
}

void LocalCluster::StopRange(size_t begin, size_t end, StopSignal signal) {
  if (signal == StopSignal::kTerminate) {
    for (size_t i = begin; i < end; ++i) {
      if (children_[i].running) ::kill(children_[i].pid, SIGTERM);
    }
  }
  const absl::Time deadline =
      signal == StopSignal::kTerminate ? absl::Now() + options_.stop_grace : absl::Now();
  while (true) {
    bool any_running = false;
    for (size_t i = begin; i < end; ++i) {
      Child& child = children_[i];
      if (!child.running) continue;
      int wait_status = 0;
      if (::waitpid(child.pid, &wait_status, WNOHANG) == child.pid) {
        child.running = false;
        child.wait_status = wait_status;
      } else {
        any_running = true;
      }
    }
    if (!any_running || absl::Now() >= deadline) break;
    absl::SleepFor(kPollInterval);
  }
  for (size_t i = begin; i < end; ++i) {
    Child& child = children_[i];
    if (!child.running) continue;
    // The whole process group, so helpers the child started die with it.
    ::kill(-child.pid, SIGKILL);
    int wait_status = 0;
    while (::waitpid(child.pid, &wait_status, 0) < 0 && errno == EINTR) {
    }
    child.running = false;
    child.wait_status = wait_status;
    child.needed_sigkill = signal == StopSignal::kTerminate;
  }
}

absl::Status LocalCluster::Stop() {
  if (children_.size() > 1) StopRange(1, children_.size());
  if (!children_.empty()) StopRange(0, 1);
  std::vector<std::string> problems;
  for (const Child& child : children_) {
    if (!child.wait_status.has_value()) continue;
    int wait_status = *child.wait_status;
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) continue;
    std::string problem =
        child.needed_sigkill
            ? absl::StrCat(child.name, " did not stop within ",
                           absl::FormatDuration(options_.stop_grace),
                           " of SIGTERM and was killed")
            : absl::StrCat(child.name, " ", DescribeWaitStatus(wait_status));
    if (!child.log_path.empty()) absl::StrAppend(&problem, " (log: ", child.log_path, ")");
    problems.push_back(std::move(problem));
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InternalError(absl::StrJoin(problems, "; "));
}

std::vector<std::pair<std::string, std::string>> LocalCluster::LogFiles() const {
  std::vector<std::pair<std::string, std::string>> files;
  for (const Child& child : children_) files.emplace_back(child.name, child.log_path);
  return files;
}

}  // namespace flowgrid
