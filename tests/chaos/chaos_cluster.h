// The cluster under test: one flowgrid-scheduler and N flowgrid-worker
// processes on loopback, each of which can be killed and started again.
//
// Unlike deploy/local's LocalCluster, every process is restartable
// individually, and the scheduler's two ports are fixed when the cluster is
// created (picked free then), so a restarted scheduler is found at the same
// addresses by the workers and the clients without telling them.
//
// Not thread-safe, and must be driven from the thread that outlives the
// processes (see child_process.h): the test's main thread.
#ifndef FLOWGRID_TESTS_CHAOS_CHAOS_CLUSTER_H_
#define FLOWGRID_TESTS_CHAOS_CHAOS_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/chaos/child_process.h"

namespace flowgrid::chaos {

struct ChaosClusterOptions {
  std::string scheduler_binary;
  std::string worker_binary;
  // Holds data/ (the scheduler's store) and logs/ (one file per process).
  std::string work_dir;
  int workers = 3;
  int slots_per_worker = 2;
  // Deliveries of a job whose worker is lost before it fails WORKER_LOST.
  int max_job_attempts = 3;
  // Job uids: worker i gets [uid_base + i * 1024, +1024), a range of its
  // own, away from the ranges LocalCluster's workers use (60000 + ...).
  int uid_base = 200000;
  absl::Duration ready_timeout = absl::Seconds(60);
};

class ChaosCluster {
 public:
  // Picks the two ports, starts the scheduler, waits for it to be ready,
  // then starts the workers.
  static absl::StatusOr<std::unique_ptr<ChaosCluster>> Start(ChaosClusterOptions options);

  const std::string& client_address() const { return client_address_; }
  int workers() const { return static_cast<int>(workers_.size()); }

  // SIGKILL, as in a crash; returns how the process ended.
  absl::StatusOr<std::string> KillScheduler();
  absl::StatusOr<std::string> KillWorker(int index);

  // Starts the scheduler again on the same store and ports, and waits until
  // it serves; starts worker `index` again under the same worker id.
  absl::Status RestartScheduler();
  absl::Status RestartWorker(int index);

  // A process that died without being killed by the test, described; ""
  // when all are as the test left them.
  std::string UnexpectedExits();

  // SIGTERM to the workers, then to the scheduler (SIGKILL after `grace`);
  // returns how each ended, for the test's log.
  std::vector<std::string> Stop(absl::Duration grace);

  std::string log_dir() const { return options_.work_dir + "/logs"; }

 private:
  explicit ChaosCluster(ChaosClusterOptions options) : options_(std::move(options)) {}

  absl::Status StartScheduler();
  absl::Status StartWorker(int index);

  ChaosClusterOptions options_;
  std::string client_address_;
  std::string worker_address_;
  std::unique_ptr<ChildProcess> scheduler_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;  // null while killed
};

}  // namespace flowgrid::chaos

#endif  // FLOWGRID_TESTS_CHAOS_CHAOS_CLUSTER_H_
