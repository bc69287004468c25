// dispatch::Dispatcher — the ready queue, the connected workers and their
// credits.
//
// Queue: jobs wait in one FairQueue per runtime: requeued jobs first, then
// round-robin across runs (a run with 10,000 ready jobs does not starve a
// small run submitted after it). A worker that could take jobs of several
// runtimes takes them in turn too (requeued ones first, then the runtime
// served longest ago), so a big Python run does not starve a small
// JavaScript one either; a job no free worker can run (its runtime is
// missing or busy) never holds back the others. Free workers are indexed
// per runtime, so handing out a job costs O(log workers) however long the
// queues are.
//
// Workers: a worker never holds more jobs than the slots it announced, and
// a job goes to the worker with the most free slots. A worker is lost when
// its stream ends (RemoveWorker), when nothing came from it for
// `worker_lease` (Sweep), or when another stream says Hello with the same
// worker id (the new stream replaces the old one: a worker reconnecting
// after a network break is the same process, and its old stream is dead).
// A lost worker's jobs are requeued with attempt+1, up to `max_attempts`,
// after which they finish with WORKER_LOST. A result is accepted only from
// the worker connection that holds that exact attempt, so a late result of
// a lost attempt can never complete a job twice.
//
// Queue wait: a job waiting longer than `max_queue_wait` for a worker
// finishes with QUEUE_TIMEOUT (Sweep).
//
// Metrics (when given a SchedulerMetrics): deliveries, job outcomes (each
// job that leaves the dispatcher counts once: its result, WORKER_LOST,
// QUEUE_TIMEOUT, or CANCELLED when it is dropped without one), requeues
// and lost workers. A draining worker that leaves holding no job finished
// its drain and is not lost. The state gauges are read from stats() when
// scraped (dispatcher_gauges.h).
//
// Thread-safe. With a non-zero `sweep_interval` a thread of its own calls
// Sweep(); tests call it themselves with a fake clock.
#ifndef FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_
#define FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "flowgrid/v1/worker.pb.h"
#include "scheduler/dispatch/fair_queue.h"
#include "scheduler/metrics/scheduler_metrics.h"

namespace flowgrid::dispatch {

// Sends one message to a worker. Must not block for long and must not call
// back into the Dispatcher.
using WorkerSink = std::function<void(const v1::SchedulerMessage&)>;

// Called (outside the Dispatcher's lock) when a job has a final result.
using ResultHandler = std::function<void(const JobKey&, v1::NodeResult)>;

struct DispatcherOptions {
  // Deliveries of one job (its worker lost each time) before WORKER_LOST.
  int max_attempts = 3;
  // A worker that sent nothing (heartbeat, result, credit) for this long
  // is lost. Workers heartbeat every 5 s by default: keep the lease a few
  // heartbeat intervals long so that one late heartbeat is not a loss.
  absl::Duration worker_lease = absl::Seconds(15);
  // A job that waited this long for a worker fails with QUEUE_TIMEOUT;
  // zero: jobs wait as long as it takes.
  absl::Duration max_queue_wait = absl::Minutes(10);
  // How often the own thread sweeps expired leases and queue waits; zero:
  // no thread, the owner calls Sweep().
  absl::Duration sweep_interval = absl::Seconds(1);
  // The clock of leases and queue waits.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

// A worker stream that said Hello.
struct WorkerConnection {
  std::string worker_id;
  // Its address as gRPC sees it, for operators.
  std::string peer;
  int slots = 0;
  std::vector<v1::CodeNode::Language> runtimes;
  WorkerSink sink;
  // Ends the stream from the scheduler's side (the worker was declared
  // lost). Called under the Dispatcher's lock: must not block or call back.
  std::function<void()> close = [] {};
  // False for an in-process worker (tests, benchmarks): it cannot go
  // silent, so the lease never expires.
  bool leased = true;
};

// What ListWorkers reports of one connected worker.
struct WorkerInfo {
  std::string worker_id;
  std::string peer;
  int slots = 0;  // its capacity: announced slots as reset by credits
  int free_slots = 0;
  std::vector<std::string> running_jobs;  // job ids, sorted
  std::vector<v1::CodeNode::Language> runtimes;
  bool draining = false;
  absl::Time connected_at;
  absl::Time last_seen;
  // Results it reported since it connected, by verdict (metrics::Verdict:
  // ERROR_CODE_UNSPECIFIED for a success). Jobs it handed back unrun
  // (WORKER_LOST) are not counted.
  std::map<v1::ErrorCode, int64_t> verdicts;
};

class Dispatcher {
 public:
  // `metrics` (not owned) may be null: nothing is recorded.
  Dispatcher(ResultHandler on_result, DispatcherOptions options = {},
             metrics::SchedulerMetrics* metrics = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Queues `job` (its job_id and attempt are set here from `key`).
  void Enqueue(const JobKey& key, v1::Job job);

  // Registers a connected worker; a worker already connected under the
  // same id is lost (closed, its jobs requeued). Returns a handle for the
  // other calls.
  int64_t AddWorker(WorkerConnection worker);
  // The same for an in-process worker (tests, benchmarks): no stream to
  // close, no lease.
  int64_t AddWorker(std::string worker_id, int slots,
                    std::vector<v1::CodeNode::Language> runtimes, WorkerSink sink);

  // The worker's stream ended: its jobs are requeued (or fail WORKER_LOST).
  // No effect if the worker was already lost.
  void RemoveWorker(int64_t handle);

  // A worker reported a result; frees its slot. A WORKER_LOST result (the
  // worker could not run the job) requeues it like a lost worker would.
  void OnResult(int64_t handle, const v1::JobResult& result);

  // Sets the worker's capacity to its held jobs + `free_slots`.
  void SetFreeSlots(int64_t handle, int free_slots);

  // The worker is alive (it sent a heartbeat); renews its lease.
  void Heartbeat(int64_t handle);

  // The worker takes no new jobs from now on (it is shutting down); the
  // ones it holds still report.
  void SetDraining(int64_t handle);

  // Asks the worker with this id to drain (a Drain message) and gives it
  // no new job from now on. NotFound when no such worker is connected.
  absl::Status DrainWorker(const std::string& worker_id);

  // Drops queued jobs of `run_id` and asks workers to cancel running ones.
  // No result is delivered for them afterwards.
  void CancelRun(const std::string& run_id);

  // The same for one job.
  void CancelJob(const JobKey& key);

  // Loses the workers whose lease expired and fails the jobs that waited
  // longer than max_queue_wait.
  void Sweep();

  // The connected workers, by worker id.
  std::vector<WorkerInfo> ListWorkers() const;

  struct Stats {
    int queued = 0;
    // Queued jobs by the runtime they need (templates: PYTHON3); runtimes
    // never queued for are absent.
    std::map<v1::CodeNode::Language, int> queued_by_runtime;
    // How long the job waiting longest has waited (zero when none waits).
    absl::Duration oldest_wait;
    int running = 0;  // jobs held by workers: their busy slots
    int workers = 0;
    int draining_workers = 0;
    int free_slots = 0;  // of workers that are not draining
  };
  Stats stats() const;

 private:
  struct Worker {
    WorkerConnection connection;
    int capacity;
    bool draining = false;
    absl::Time connected_at;
    absl::Time last_seen;
    // Jobs held by this worker, by job id.
    absl::flat_hash_map<std::string, QueuedJob> running;
    // Its key in free_ (free slots when last indexed); 0: not indexed.
    int indexed_free = 0;
    std::map<v1::ErrorCode, int64_t> verdicts;  // as WorkerInfo::verdicts

    int free() const { return capacity - static_cast<int>(running.size()); }
    bool Runs(v1::CodeNode::Language runtime) const;
  };
  // Workers with free slots as (-free slots, handle): most free first, then
  // the oldest.
  using FreeIndex = std::set<std::pair<int, int64_t>>;
  struct Delivery {
    JobKey key;
    v1::NodeResult result;
  };

  // The worker behind `handle` if it is still connected, and renews its
  // lease: anything it sends proves it alive.
  Worker* SeenLocked(int64_t handle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Unregisters the worker and requeues (or fails) its jobs into `lost`.
  void LoseLocked(int64_t handle, std::vector<Delivery>& lost) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Puts a job whose worker lost it back in the queue with attempt+1, or,
  // past max_attempts, adds its WORKER_LOST result to `lost`.
  void RequeueOrFailLocked(QueuedJob held, const std::string& worker_id,
                           std::vector<Delivery>& lost) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails the jobs that waited longer than max_queue_wait into `expired`.
  void ExpireQueueWaitsLocked(absl::Time now, std::vector<Delivery>& expired)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands queued jobs to workers with free slots, least loaded first.
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Brings the worker's entries in free_ up to date with its free slots
  // and draining state; call after every change of either.
  void IndexLocked(int64_t handle, Worker& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UnindexLocked(int64_t handle, Worker& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Cancels the matching queued and running jobs.
  void CancelLocked(const std::function<bool(const JobKey&)>& matches)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(std::vector<Delivery> deliveries);
  // Records that `job` left the dispatcher with `result`.
  void RecordFinishedLocked(const QueuedJob& job, const v1::NodeResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLoop();

  const ResultHandler on_result_;
  const DispatcherOptions options_;
  metrics::SchedulerMetrics* const metrics_;
  mutable absl::Mutex mu_;
  // Waiting jobs, one queue per runtime, with when each was last served
  // (in jobs handed out; 0: never).
  struct RuntimeQueue {
    FairQueue jobs;
    int64_t last_served = 0;
  };
  std::map<v1::CodeNode::Language, RuntimeQueue> queues_ ABSL_GUARDED_BY(mu_);
  int64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t served_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<int64_t, Worker> workers_ ABSL_GUARDED_BY(mu_);
  // The handle of each connected worker id.
  absl::flat_hash_map<std::string, int64_t> handles_ ABSL_GUARDED_BY(mu_);
  // Per runtime, the workers running it that have free slots and are not
  // draining.
  std::map<v1::CodeNode::Language, FreeIndex> free_ ABSL_GUARDED_BY(mu_);
  int64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  // Not a condition on mu_: a waiter on mu_ would make every unlock of
  // the hot lock evaluate it.
  absl::Notification stopping_;
  std::thread sweeper_;
};

}  // namespace flowgrid::dispatch

#endif  // FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_
