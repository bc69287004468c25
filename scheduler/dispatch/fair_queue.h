// dispatch::FairQueue — the jobs waiting for one runtime, taken in turn
// across runs, so that a run with thousands of ready jobs does not starve a
// small run submitted after it.
//
// Order: requeued jobs (their worker was lost) first, oldest requeue first;
// then round-robin over the runs with waiting jobs (one job of a run, then
// one of the next run...), each run's own jobs in the order they were
// pushed. A run joins the round at its back when its first job arrives.
// Push, Front and PopFront are O(1) (one hash lookup for Push); EraseIf,
// TakeQueuedUpTo and OldestQueuedAt are linear (cancellations, sweeps and
// scrapes, not the hot path).
// Not thread-safe: the Dispatcher's lock guards it.
#ifndef FLOWGRID_SCHEDULER_DISPATCH_FAIR_QUEUE_H_
#define FLOWGRID_SCHEDULER_DISPATCH_FAIR_QUEUE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/time/time.h"
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

// A job waiting in a queue or held by a worker.
struct QueuedJob {
  JobKey key;
  int delivery = 1;  // 1 for the first
  v1::Job job;
  bool cancelled = false;
  // Compares jobs of different runtimes: the one with the smaller order
  // goes first when a worker could take either.
  int64_t order = 0;
  // When it entered the queue (again, for a requeued job): the start of
  // its queue wait.
  absl::Time queued_at;
  // When it was first queued (kept across requeues): the start of its
  // duration as the scheduler sees it.
  absl::Time enqueued_at;
};

class FairQueue {
 public:
  // New work: at the back of its run's jobs.
  void Push(QueuedJob job);
  // Requeued work: before every job pushed with Push.
  void PushRequeued(QueuedJob job);

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Whether Front() is a requeued job.
  bool front_is_requeued() const { return !requeued_.empty(); }

  // The job whose turn it is. Requires !empty().
  const QueuedJob& Front() const;
  // Removes and returns Front(); its run moves to the back of the round.
  QueuedJob PopFront();

  // Removes every job for which `matches` is true.
  void EraseIf(const std::function<bool(const QueuedJob&)>& matches);

  // Removes and returns every job queued at or before `cutoff`, oldest of
  // each run first.
  std::vector<QueuedJob> TakeQueuedUpTo(absl::Time cutoff);

  // The earliest queued_at of the waiting jobs (InfiniteFuture when
  // empty). Linear in the runs waiting.
  absl::Time OldestQueuedAt() const;

 private:
  // Rebuilds turns_ without the runs that have no job left (after a
  // removal other than PopFront), keeping the order of the others.
  void DropEmptyRuns();

  using Runs = absl::node_hash_map<std::string, std::deque<QueuedJob>>;
  // At most this many emptied entries of runs_ are kept for reuse.
  static constexpr size_t kMaxSpareRuns = 16;

  std::deque<QueuedJob> requeued_;
  // Each run's waiting jobs; node-based so that turns_ can point into it.
  Runs runs_;
  // Entries of runs that ran out of jobs, kept (with their deque's memory)
  // for the next run to arrive: small runs come and go at every job, and
  // allocating each time would cost more than the rest of a dispatch.
  std::vector<Runs::node_type> spare_runs_;
  // The runs of runs_ in turn order, each exactly once.
  std::deque<std::deque<QueuedJob>*> turns_;
  size_t size_ = 0;
};

}  // namespace flowgrid::dispatch

#endif  // FLOWGRID_SCHEDULER_DISPATCH_FAIR_QUEUE_H_
