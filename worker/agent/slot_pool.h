// The worker's job slots: a fixed set of threads (one per slot, created
// once) running jobs from a queue, plus the bookkeeping the stream protocol
// needs — which jobs are present (for CancelJob) and how many credits are in
// use. No gRPC here, so the protocol logic is testable without a network.
//
// Contract: every Submit()ed job produces exactly one call of the `done`
// callback, from a slot thread, after the job has left the pool (so a
// credit is free again by the time the result is sent). Cancelled jobs
// (queued or running) finish with error code CANCELLED.
#ifndef FLOWGRID_WORKER_AGENT_SLOT_POOL_H_
#define FLOWGRID_WORKER_AGENT_SLOT_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "worker/metrics/worker_metrics.h"
#include "worker/sandbox/unique_fd.h"

namespace flowgrid::agent {

struct FinishedJob {
  std::string job_id;
  int32_t attempt = 0;
  // The stream generation the job arrived on; a result for an older
  // stream cannot be delivered.
  uint64_t connection = 0;
  // What the job ran on (for its metrics).
  v1::Job::Kind kind = v1::Job::RUN_CODE;
  v1::CodeNode::Language language = v1::CodeNode::LANGUAGE_UNSPECIFIED;
  v1::NodeResult result;
};

class SlotPool {
 public:
  // Runs one job; `cancel_fd` becomes readable when the job is cancelled.
  using RunFn = std::function<v1::NodeResult(const v1::Job& job, int cancel_fd)>;
  using DoneFn = std::function<void(FinishedJob finished)>;

  // Starts `slots` threads (>= 1). With `metrics`, its slot gauges follow
  // the slots running a job.
  SlotPool(int slots, RunFn run, DoneFn done, metrics::WorkerMetrics* metrics = nullptr);
  // Cancels every job, waits for their `done` calls and joins the threads.
  ~SlotPool();
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  int slots() const { return static_cast<int>(threads_.size()); }

  // Queues `job`. A job beyond the free slots is still queued (and runs when
  // a slot frees) but logged: the scheduler broke the credit protocol. A job
  // whose id is already present fails at once with INTERNAL (via `done`).
  void Submit(v1::Job job, uint64_t connection);

  // Cancels the job with this id, queued or running. False if absent.
  bool Cancel(const std::string& job_id);

  // Cancels every job present; returns how many.
  int CancelAll();

  // Credits in use: jobs queued or running.
  int InUse() const;

  // Waits until no job is present and every finished job's result has
  // been handed to `done` (returned from it), so that a caller may close
  // the stream the results go to; false on timeout.
  bool WaitIdle(absl::Duration timeout);

 private:
  struct Entry {
    v1::Job job;
    uint64_t connection = 0;
    sandbox::UniqueFd cancel_fd;  // eventfd
    bool cancelled = false;
  };

  void SlotLoop();
  void SignalCancel(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Slot threads running a job (cancelled-before-start ones included):
  // present but no longer queued.
  int RunningLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RunFn run_;
  const DoneFn done_;
  metrics::WorkerMetrics* const metrics_;
  mutable absl::Mutex mu_;
  std::deque<std::shared_ptr<Entry>> queue_ ABSL_GUARDED_BY(mu_);
  // Queued and running jobs by id.
  absl::flat_hash_map<std::string, std::shared_ptr<Entry>> present_ ABSL_GUARDED_BY(mu_);
  // Finished jobs whose `done` call has not returned yet. They no longer
  // hold a credit (a job the scheduler sends for the freed slot is not
  // "beyond the credits"), but WaitIdle waits for them.
  int reporting_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace flowgrid::agent

#endif  // FLOWGRID_WORKER_AGENT_SLOT_POOL_H_
