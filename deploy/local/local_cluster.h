// A complete flowgrid cluster on one machine: one flowgrid-scheduler and N
// flowgrid-worker child processes on loopback. Used by `flowgridctl dev`
// and by the end-to-end tests, so both exercise the real binaries exactly as
// a user would start them.
//
// Readiness: the scheduler is started with --ready_file and writes it (JSON
// {"client_addr": ..., "worker_addr": ..., "metrics_addr" and
// "console_addr": ... when on})
// once its servers listen,
// which is how port 0 (a port picked at runtime) is learned. Workers have no
// readiness signal: they connect and reconnect by themselves, and a run
// submitted before any worker is connected waits in the scheduler's queue.
//
// Children run in their own process group, so a terminal's Ctrl-C reaches
// only the parent, which then stops them in order (workers first, so they
// can drain their running jobs to a live scheduler, then the scheduler).
// Each child also gets PR_SET_PDEATHSIG(SIGTERM): if the parent dies without
// stopping them, they are told to stop. The kernel ties that signal to the
// *thread* that forked, so Start() must be called from a thread that outlives
// the cluster (the main thread, in both users).
//
// Not thread-safe: one owner thread calls every method.
#ifndef FLOWGRID_DEPLOY_LOCAL_LOCAL_CLUSTER_H_
#define FLOWGRID_DEPLOY_LOCAL_LOCAL_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/tls/dev_pki.h"

namespace flowgrid {

struct LocalClusterOptions {
  std::string scheduler_binary;
  std::string worker_binary;
  // Holds the scheduler's store (flowgrid.db) and its ready file; created if
  // missing.
  std::string data_dir;
  // HOST:PORT; port 0 picks a free port.
  std::string client_addr = "127.0.0.1:0";
  std::string worker_addr = "127.0.0.1:0";
  // The scheduler's --metrics_addr (HOST:PORT, port 0: any); empty: off.
  std::string scheduler_metrics_addr;
  // The scheduler's --console_addr (the web console; HOST:PORT, port 0:
  // any); empty: off.
  std::string scheduler_console_addr;
  int workers = 1;
  int slots_per_worker = 2;
  // Worker N (from 1) runs its jobs as uids from worker_uid_base + (N-1) *
  // 1024 (--sandbox_uid_base); clusters running at once on one host need
  // disjoint ranges.
  int worker_uid_base = 60000;
  // Appended to the scheduler's command line (e.g. --max_active_runs).
  std::vector<std::string> extra_scheduler_args;
  // Appended to every worker's command line (e.g. sandbox switches).
  std::vector<std::string> extra_worker_args;
  // When set, each child's stdout and stderr go to <log_dir>/<name>.log;
  // otherwise children share the parent's stdout/stderr.
  std::string log_dir;
  // TLS and authentication (docs/OPERATIONS.md). tls_dir set: EnsureDevPki
  // there (common/tls/dev_pki.h); the scheduler serves TLS on both ports
  // with server.pem and requires worker certificates signed by ca.pem;
  // workers verify it with ca.pem and present worker.pem. Empty: plaintext.
  std::string tls_dir;
  // The scheduler's --api_keys_file; needs tls_dir.
  std::string api_keys_file;
  // The scheduler's --worker_token_file and the workers' --token_file;
  // needs tls_dir.
  std::string worker_token_file;
  absl::Duration ready_timeout = absl::Seconds(30);
  // How long each stop phase waits after SIGTERM before SIGKILL.
  absl::Duration stop_grace = absl::Seconds(10);
};

// A child that has exited, as reported by waitpid.
struct ChildExit {
  std::string name;  // "scheduler", "worker-1", "scheduler-restart-1", ...
  pid_t pid = 0;
  // Human-readable: "exited with status 3", "killed by signal 9 (Killed)".
  std::string description;
  bool clean = false;  // exited with status 0
};

class LocalCluster {
 public:
  // Starts the scheduler, waits (up to ready_timeout) for its ready file,
  // then starts the workers pointed at the worker address it reported.
  // On any failure every started child is stopped again and the error names
  // the process and, when logging to files, its log file.
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(
      LocalClusterOptions options);

  // Stops whatever is still running (see Stop()).
  ~LocalCluster();

  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;

  // The addresses the scheduler reported in its ready file.
  const std::string& client_address() const { return client_address_; }
  const std::string& worker_address() const { return worker_address_; }
  // "" when scheduler_metrics_addr is off.
  const std::string& scheduler_metrics_address() const { return scheduler_metrics_address_; }
  // "" when scheduler_console_addr is off.
  const std::string& console_address() const { return console_address_; }
  const LocalClusterOptions& options() const { return options_; }
  // The dev PKI's files when tls_dir is set.
  const std::optional<tls::DevPki>& dev_pki() const { return dev_pki_; }

  // Starts one more worker ("worker-N", N following the others) with the
  // cluster's worker flags followed by `extra_args` (a later flag wins, so
  // they can override e.g. --tls_cert_file). Returns its name.
  absl::StatusOr<std::string> StartWorker(const std::vector<std::string>& extra_args = {});

  // Returns a child that exited since the last call (non-blocking), reaping
  // it; nullopt when all children are still running.
  std::optional<ChildExit> PollExited();

  // SIGTERM to the workers, wait up to stop_grace, SIGKILL the rest; then
  // the same for the scheduler. Idempotent. The error lists every child that
  // did not exit cleanly (non-zero status, a signal, or needing SIGKILL),
  // including those already reported by PollExited.
  absl::Status Stop();

  // Names and log paths of the children ("" when not logging to files), for
  // printing after a failure.
  std::vector<std::pair<std::string, std::string>> LogFiles() const;

  // How StopScheduler ends the scheduler: SIGTERM (a graceful stop; SIGKILL
  // after stop_grace if it outlives it), or SIGKILL at once (a crash: no
  // chance to flush or close anything).
  enum class StopSignal { kTerminate, kKill };

  // Stops the scheduler alone; the workers keep running and keep trying to
  // reconnect (with their backoff). Returns how it ended. FailedPrecondition
  // when it is not running.
  absl::StatusOr<ChildExit> StopScheduler(StopSignal signal);

  // Starts a scheduler again on the same data directory (so on the same run
  // history) after StopScheduler, and waits for its ready file. It listens
  // on the same worker address, so the running workers reconnect to it, and
  // on `client_addr` (empty: the same client address as before; port 0:
  // a new port, read back into client_address()). Its name and log file are
  // "scheduler-restart-N". FailedPrecondition while a scheduler is still
  // running.
  absl::Status RestartScheduler(const std::string& client_addr = "");

 private:
  struct Child {
    std::string name;
    pid_t pid = 0;
    std::string log_path;
    bool running = true;
    std::optional<int> wait_status;  // set once reaped
    bool needed_sigkill = false;
  };

  explicit LocalCluster(LocalClusterOptions options)
      : options_(std::move(options)) {}

  // Forks and execs `binary`; the child is returned, not yet recorded.
  absl::StatusOr<Child> SpawnChild(std::string name, const std::string& binary,
                                   const std::vector<std::string>& args);
  // Spawns the scheduler as children_[0] (replacing a stopped one) and waits
  // for its ready file.
  absl::Status StartScheduler(const std::string& client_addr, const std::string& worker_addr);
  absl::Status WaitForSchedulerReady(const std::string& ready_file);
  // Terminates the children whose index is in [begin, end): SIGTERM, then
  // SIGKILL for those still running after stop_grace (or SIGKILL at once).
  void StopRange(size_t begin, size_t end, StopSignal signal = StopSignal::kTerminate);

  LocalClusterOptions options_;
  std::optional<tls::DevPki> dev_pki_;
  std::vector<Child> children_;  // children_[0] is the scheduler
  int workers_started_ = 0;
  int restarts_ = 0;
  std::string client_address_;
  std::string worker_address_;
  std::string scheduler_metrics_address_;
  std::string console_address_;
};

// "exited with status N" / "killed by signal N (name)" for a waitpid status.
std::string DescribeWaitStatus(int wait_status);

}  // namespace flowgrid

#endif  // FLOWGRID_DEPLOY_LOCAL_LOCAL_CLUSTER_H_
