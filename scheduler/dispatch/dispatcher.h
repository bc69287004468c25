// dispatch::Dispatcher — the ready queue, the connected workers and their
// credits.
//
// Jobs wait in FIFO order until a worker that runs their runtime has a
// free slot (a job no free worker can run does not hold back the jobs
// behind it); a worker never holds more jobs than the slots it announced,
// and a job goes to the worker with the most free slots. Jobs wait in one
// queue per runtime and free workers are indexed per runtime, so handing
// out a job costs O(log workers) however long the queues are. When a worker goes away, the
// jobs it held are requeued with attempt+1, up to `max_attempts`, after
// which they finish with WORKER_LOST. A result is accepted only from the
// worker that holds that exact attempt, so a late result of a lost attempt
// can never complete a job twice. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_
#define FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "flowgrid/v1/worker.pb.h"

namespace flowgrid::dispatch {

// Identifies one attempt of one task of a run (see run::JobRequest). A
// job lost with its worker is delivered again under the same key; the
// wire's Job.attempt counts those deliveries.
struct JobKey {
  std::string run_id;
  int task;
  int attempt;

  std::string ToJobId() const;
  bool operator==(const JobKey&) const = default;
};

// Sends one message to a worker. Must not block for long and must not call
// back into the Dispatcher.
using WorkerSink = std::function<void(const v1::SchedulerMessage&)>;

// Called (outside the Dispatcher's lock) when a job has a final result.
using ResultHandler = std::function<void(const JobKey&, v1::NodeResult)>;

struct DispatcherOptions {
  // Deliveries of one job (its worker lost each time) before WORKER_LOST.
  int max_attempts = 3;
};

class Dispatcher {
 public:
  Dispatcher(ResultHandler on_result, DispatcherOptions options = {});

  // Queues `job` (its job_id and attempt are set here from `key`).
  void Enqueue(const JobKey& key, v1::Job job);

  // Registers a connected worker with `slots` free slots and the languages
  // it runs. Returns a handle for the other calls.
  int64_t AddWorker(std::string worker_id, int slots,
                    std::vector<v1::CodeNode::Language> runtimes, WorkerSink sink);

  // The worker's stream ended: its jobs are requeued (or fail WORKER_LOST).
  void RemoveWorker(int64_t handle);

  // A worker reported a result; frees its slot. A WORKER_LOST result (the
  // worker could not run the job) requeues it like a lost worker would.
  void OnResult(int64_t handle, const v1::JobResult& result);

  // Sets the worker's capacity to its held jobs + `free_slots`.
  void SetFreeSlots(int64_t handle, int free_slots);

  // The worker takes no new jobs from now on (it is shutting down); the
  // ones it holds still report.
  void SetDraining(int64_t handle);

  // Drops queued jobs of `run_id` and asks workers to cancel running ones.
  // No result is delivered for them afterwards.
  void CancelRun(const std::string& run_id);

  // The same for one job.
  void CancelJob(const JobKey& key);

  struct Stats {
    int queued = 0;
    int running = 0;
    int workers = 0;
    int free_slots = 0;
  };
  Stats stats() const;

 private:
  struct QueuedJob {
    JobKey key;
    int delivery;  // 1 for the first
    v1::Job job;
    bool cancelled = false;
    // Place in the FIFO order across runtimes (smaller goes first).
    int64_t order = 0;
  };
  struct Worker {
    std::string worker_id;
    int capacity;
    std::vector<v1::CodeNode::Language> runtimes;
    WorkerSink sink;
    bool draining = false;
    // Jobs held by this worker, by job id.
    absl::flat_hash_map<std::string, QueuedJob> running;
    // Its key in free_ (free slots when last indexed); 0: not indexed.
    int indexed_free = 0;

    int free() const { return capacity - static_cast<int>(running.size()); }
  };
  // Workers with free slots as (-free slots, handle): most free first, then
  // the oldest.
  using FreeIndex = std::set<std::pair<int, int64_t>>;
  struct Delivery {
    JobKey key;
    v1::NodeResult result;
  };

  // Puts a job whose worker lost it back in the queue with attempt+1, or,
  // past max_attempts, adds its WORKER_LOST result to `lost`.
  void RequeueOrFailLocked(QueuedJob held, const std::string& worker_id,
                           std::vector<Delivery>& lost) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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

  const ResultHandler on_result_;
  const DispatcherOptions options_;
  mutable absl::Mutex mu_;
  // Waiting jobs, one FIFO per runtime. New jobs take increasing orders,
  // requeued ones decreasing orders (they go first).
  std::map<v1::CodeNode::Language, std::deque<QueuedJob>> queues_ ABSL_GUARDED_BY(mu_);
  int64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t next_front_order_ ABSL_GUARDED_BY(mu_) = -1;
  absl::flat_hash_map<int64_t, Worker> workers_ ABSL_GUARDED_BY(mu_);
  // Per runtime, the workers running it that have free slots and are not
  // draining.
  std::map<v1::CodeNode::Language, FreeIndex> free_ ABSL_GUARDED_BY(mu_);
  int64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace flowgrid::dispatch

#endif  // FLOWGRID_SCHEDULER_DISPATCH_DISPATCHER_H_
