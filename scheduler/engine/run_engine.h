// engine::RunEngine — the shell around run::Execution: owns the active
// runs, carries out their steps (persist, publish, dispatch) and feeds job
// results back into them.
//
// Every step is made durable in the store before its events are published
// to watchers, so a watcher never sees an event the history lacks (in
// particular, a client that sees run_finished finds the run finished in the
// store). The writes are queued under the engine's lock and committed after
// it is released (StoreWriter: group commit); jobs are dispatched without
// waiting for them. Submit returns once the run's record is durable, Cancel
// once the cancellation is.
// Metrics (when given a SchedulerMetrics): runs submitted, finished (by
// status, with their duration from submission; also a run that cannot be
// resumed after a restart), active, refused
// submissions and node retries are recorded here; the dispatcher and the
// store writer record theirs.
// Thread-safe: gRPC handlers and the dispatcher call in concurrently.
#ifndef FLOWGRID_SCHEDULER_ENGINE_RUN_ENGINE_H_
#define FLOWGRID_SCHEDULER_ENGINE_RUN_ENGINE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "scheduler/dispatch/dispatcher.h"
#include "scheduler/engine/admission.h"
#include "scheduler/engine/code_checks.h"
#include "scheduler/engine/job_builder.h"
#include "scheduler/engine/job_waiter.h"
#include "scheduler/engine/node_runner.h"
#include "scheduler/engine/plan_cache.h"
#include "scheduler/engine/run_event_log.h"
#include "scheduler/engine/store_writer.h"
#include "scheduler/engine/timer_queue.h"
#include "scheduler/graph/plan.h"
#include "scheduler/metrics/scheduler_metrics.h"
#include "scheduler/run/execution.h"
#include "scheduler/store/run_store.h"

namespace flowgrid::engine {

// Cluster-wide defaults for jobs, applied where a node leaves a limit 0.
struct EngineOptions {
  run::ExecutionOptions execution;
  JobDefaults jobs;
  dispatch::DispatcherOptions dispatch;
  // A run still going after this long fails with TIMEOUT.
  absl::Duration max_run_time = absl::Seconds(1200);
  // How long validation waits for workers to compile code nodes.
  absl::Duration code_check_budget = absl::Seconds(5);
  // How long a single-node run may wait for a worker, beyond its timeout.
  absl::Duration node_run_queue_wait = absl::Seconds(30);
  // The bound on runs in progress (see admission.h).
  AdmissionOptions admission;
};

struct Validation {
  std::vector<graph::Diagnostic> diagnostics;
  std::vector<std::string> order;  // node ids of a valid workflow's top level
};

// The defaults of DESIGN.md / Dify: 10 s, 256 MiB, 32 processes, 1 MiB of
// output; strings <= 400000 chars, depth <= 5, number arrays <= 1000 items,
// other arrays <= 30.
EngineOptions DefaultEngineOptions();

struct SubmitResult {
  std::string run_id;
  bool existing = false;  // the idempotency key matched an earlier run
};

class RunEngine {
 public:
  // `metrics` (not owned) may be null: nothing is recorded.
  RunEngine(store::RunStore* store, EngineOptions options,
            metrics::SchedulerMetrics* metrics = nullptr);

  dispatch::Dispatcher& dispatcher() { return dispatcher_; }

  // Takes over every run left unfinished by a previous scheduler process:
  // each is rebuilt from its stored workflow, inputs, system values and
  // events (run::ReplayAndResume) and goes on from there — nodes with a
  // persisted node_finished are not run again, jobs that were in flight
  // start again as new attempts, event sequences continue after the last
  // persisted one, and its max_run_time still counts from its creation. A
  // run that cannot be rebuilt (its workflow no longer compiles or exceeds
  // the current limits, its history does not follow from it...) ends
  // FAILED, saying why. Call once before serving; errors are the store's.
  absl::Status RecoverUnfinishedRuns();

  // Validates the workflow and inputs (InvalidArgument lists every problem)
  // and starts the run. `system` holds ["sys", name] values from the client
  // (query, user_id, ...); workflow_id and workflow_run_id are set here.
  // A non-empty idempotency key of an earlier run returns that run, even
  // when the scheduler is full; concurrent submissions with one key create
  // exactly one run. Otherwise a run beyond options.admission's bound is
  // refused with RESOURCE_EXHAUSTED and a retry delay (AdmitRun); the check
  // and the run's admission are one step under the engine's lock, so
  // concurrent submissions never overshoot the bound.
  absl::StatusOr<SubmitResult> Submit(v1::Workflow workflow, ValueMap inputs, ValueMap system,
                                      std::string idempotency_key);

  // Every problem of a workflow, including code that does not compile.
  Validation Validate(const v1::Workflow& workflow);

  // Runs one node alone (see NodeRunner).
  absl::StatusOr<v1::RunNodeResponse> RunNode(const v1::RunNodeRequest& request) const {
    return node_runner_.Run(request);
  }

  // The event log of a run still in progress, or null if the run is not
  // active (finished, or unknown: ask the store).
  std::shared_ptr<RunEventLog> ActiveLog(const std::string& run_id);

  // Cancels an active run. NotFound if the run is not active.
  absl::Status Cancel(const std::string& run_id);

  // Waits until every step taken so far is durable and published.
  void Flush() { writer_.Flush(); }

 private:
  struct ActiveRun {
    std::unique_ptr<run::Execution> execution;
    std::shared_ptr<RunEventLog> log;
    int64_t next_sequence = 1;
    // When it was submitted (before a restart, for a resumed run).
    absl::Time created_at;
    // The max_run_time timer, cancelled when the run ends.
    TimerQueue::TimerId deadline;
  };

  // Rebuilds one unfinished run from `history` and makes it active; an
  // error says why it cannot be.
  absl::Status ResumeRun(const std::string& run_id, const std::vector<v1::RunEvent>& history);
  // The run created with this idempotency key: one whose record is still
  // being committed, or one in the store.
  absl::StatusOr<std::optional<std::string>> FindRunByKey(const std::string& key);
  void OnJobResult(const dispatch::JobKey& key, v1::NodeResult result);
  void OnTimer(const std::string& run_id, int timer);
  void OnDeadline(const std::string& run_id);
  // Counts a refused submission and returns `refusal`.
  absl::Status Refused(metrics::Rejection why, absl::Status refusal);
  // Dispatches one step of `run` and queues its events (after `create`, the
  // run's record, if given) for the store; they are published once durable,
  // then `durable` (if any) is called. Forgets the run once it has finished.
  // The caller drains writer_ after releasing mu_.
  void ApplyLocked(const std::string& run_id, ActiveRun& run, run::Step step,
                   std::optional<store::NewRun> create = std::nullopt,
                   std::function<void(absl::Status)> durable = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::RunStore* const store_;
  const EngineOptions options_;
  metrics::SchedulerMetrics* const metrics_;
  // What is published: logs of runs whose run_finished is not yet durable,
  // and idempotency keys of runs whose record is not yet durable. Declared
  // before writer_, whose callbacks use them.
  absl::Mutex published_mu_ ABSL_ACQUIRED_AFTER(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<RunEventLog>> logs_
      ABSL_GUARDED_BY(published_mu_);
  absl::flat_hash_map<std::string, std::string> pending_keys_ ABSL_GUARDED_BY(published_mu_);
  StoreWriter writer_{store_, metrics_};
  dispatch::Dispatcher dispatcher_;
  JobWaiter waiter_{&dispatcher_};
  CodeChecks code_checks_{&waiter_, &dispatcher_};
  NodeRunner node_runner_;
  PlanCache plans_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, ActiveRun> active_ ABSL_GUARDED_BY(mu_);
  // Last member: its thread stops first, before anything it calls into.
  TimerQueue timers_;
};

}  // namespace flowgrid::engine

#endif  // FLOWGRID_SCHEDULER_ENGINE_RUN_ENGINE_H_
