#include "scheduler/engine/run_engine.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/graph/node_limits.h"
#include "scheduler/graph/run_inputs.h"
#include "scheduler/run/replay.h"

namespace flowgrid::engine {
namespace {

std::string NewRunId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("%016x%016x", rng(), rng());
}

// protobuf's TimeUtil::GetCurrentTime() has whole-second resolution here.
google::protobuf::Timestamp Now() {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(absl::Now()));
}

// A stable id of the workflow's definition (sys.workflow_id), from its
// CanonicalBytes.
std::string WorkflowId(const std::string& bytes) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: stable across processes
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ull;
  return absl::StrFormat("%016x", hash);
}


}  // namespace

EngineOptions DefaultEngineOptions() {
  EngineOptions o;
  o.jobs.limits.set_timeout_ms(10'000);
  o.jobs.limits.set_memory_bytes(256LL << 20);
  o.jobs.limits.set_max_processes(32);
  o.jobs.limits.set_max_output_bytes(1 << 20);
  o.jobs.maxima.set_timeout_ms(120'000);
  o.jobs.maxima.set_memory_bytes(1LL << 30);
  o.jobs.maxima.set_max_processes(128);
  o.jobs.maxima.set_max_output_bytes(16 << 20);
  o.jobs.output_limits.set_max_string_length(400'000);
  o.jobs.output_limits.set_max_depth(5);
  o.jobs.output_limits.set_max_number_array_length(1000);
  o.jobs.output_limits.set_max_array_length(30);
  return o;
}

RunEngine::RunEngine(store::RunStore* store, EngineOptions options,
                     metrics::SchedulerMetrics* metrics)
    : store_(store),
      options_(std::move(options)),
      metrics_(metrics),
      dispatcher_(
          [this](const dispatch::JobKey& key, v1::NodeResult result) {
            if (!waiter_.OnResult(key, result)) OnJobResult(key, std::move(result));
          },
          options_.dispatch, metrics),
      node_runner_(&waiter_, options_.jobs, options_.node_run_queue_wait) {}

Validation RunEngine::Validate(const v1::Workflow& workflow) {
  Validation validation;
  graph::CompileResult compiled = graph::Plan::Compile(workflow);
  validation.diagnostics = std::move(compiled.diagnostics);
  if (!compiled.plan) return validation;
  validation.diagnostics = graph::CheckNodeLimits(*compiled.plan, options_.jobs.maxima);
  std::vector<graph::Diagnostic> code =
      code_checks_.Check(*compiled.plan, options_.code_check_budget);
  validation.diagnostics.insert(validation.diagnostics.end(), code.begin(), code.end());
  if (validation.diagnostics.empty()) {
    for (int v : compiled.plan->topological_order()) {
      validation.order.push_back(compiled.plan->node(v).id());
    }
  }
  return validation;
}

absl::Status RunEngine::RecoverUnfinishedRuns() {
  absl::StatusOr<std::vector<std::string>> unfinished = store_->ListUnfinishedRuns();
  if (!unfinished.ok()) return unfinished.status();
  for (const std::string& run_id : *unfinished) {
    absl::StatusOr<std::vector<v1::RunEvent>> events = store_->ReadEvents(run_id, 0);
    if (!events.ok()) return events.status();
    absl::Status resumed = ResumeRun(run_id, *events);
    if (resumed.ok()) {
      LogInfo(absl::StrCat("run ", run_id, " resumed after event ",
                           events->empty() ? 0 : events->back().sequence()));
      continue;
    }
    v1::RunEvent event;
    event.set_run_id(run_id);
    event.set_sequence(events->empty() ? 1 : events->back().sequence() + 1);
    *event.mutable_time() = Now();
    v1::RunFinished* finished = event.mutable_run_finished();
    finished->set_status(v1::RUN_FAILED);
    finished->mutable_error()->set_code(v1::INTERNAL);
    finished->mutable_error()->set_message(absl::StrCat(
        "the scheduler restarted while this run was in progress and cannot resume it: ",
        resumed.message()));
    if (absl::Status s = store_->AppendEvents(run_id, {event}); !s.ok()) return s;
    if (metrics_ != nullptr) {
      absl::StatusOr<v1::Run> run = store_->GetRun(run_id);
      if (!run.ok()) return run.status();
      const absl::Time created = absl::FromUnixNanos(
          google::protobuf::util::TimeUtil::TimestampToNanoseconds(run->created_at()));
      metrics_->RunFinished(v1::RUN_FAILED, absl::Now() - created);
    }
    LogWarning(absl::StrCat("run ", run_id, " cannot be resumed; marked FAILED: ",
                            resumed.message()));
  }
  // The resumed runs' first steps, in few transactions.
  writer_.Flush();
  return absl::OkStatus();
}

absl::Status RunEngine::ResumeRun(const std::string& run_id,
                                  const std::vector<v1::RunEvent>& history) {
  absl::StatusOr<store::NewRun> record = store_->GetRunRecord(run_id);
  if (!record.ok()) return record.status();
  std::string canonical = CanonicalBytes(record->workflow);
  std::shared_ptr<const graph::Plan> plan = plans_.Find(canonical);
  if (plan == nullptr) {
    graph::CompileResult compiled = graph::Plan::Compile(std::move(record->workflow));
    if (!compiled.diagnostics.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("its workflow no longer compiles: ",
                       graph::DiagnosticsToStatus(compiled.diagnostics).message()));
    }
    plan = std::move(compiled.plan);
    plans_.Insert(canonical, plan);
  }
  std::vector<graph::Diagnostic> limits = graph::CheckNodeLimits(*plan, options_.jobs.maxima);
  if (!limits.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("its workflow exceeds this scheduler's node limits: ",
                     graph::DiagnosticsToStatus(limits).message()));
  }
  auto execution = std::make_unique<run::Execution>(plan, std::move(record->inputs),
                                                    std::move(record->system), options_.execution);
  const int64_t last_sequence = history.empty() ? 0 : history.back().sequence();
  v1::RunResumed resumed;
  resumed.set_after_sequence(last_sequence);
  resumed.set_reason("the scheduler restarted while the run was in progress");
  absl::StatusOr<run::Step> step = run::ReplayAndResume(*execution, history, std::move(resumed));
  if (!step.ok()) return step.status();
  if (execution->finished() && step->events.empty()) {
    return absl::FailedPreconditionError("its history ends with run_finished already");
  }
  {
    absl::MutexLock lock(&mu_);
    ActiveRun& run = active_[run_id];
    run.execution = std::move(execution);
    // Watchers of the resumed run read its whole history from the log, as
    // they do for a run started by this process.
    run.log = std::make_shared<RunEventLog>();
    run.log->Append(history);
    run.next_sequence = last_sequence + 1;
    run.created_at = record->created_at;
    {
      absl::MutexLock published(&published_mu_);
      logs_[run_id] = run.log;
    }
    // Already past: fires at once and the run ends with the deadline's error.
    run.deadline = timers_.Schedule(record->created_at + options_.max_run_time,
                                    [this, run_id] { OnDeadline(run_id); });
    // Committed with the other resumed runs' steps by RecoverUnfinishedRuns.
    ApplyLocked(run_id, run, *std::move(step));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> RunEngine::FindRunByKey(const std::string& key) {
  {
    absl::MutexLock published(&published_mu_);
    auto pending = pending_keys_.find(key);
    if (pending != pending_keys_.end()) return pending->second;
  }
  // A key leaves pending_keys_ only once its run is in the store.
  return store_->FindRunByIdempotencyKey(key);
}

absl::Status RunEngine::Refused(metrics::Rejection why, absl::Status refusal) {
  if (metrics_ != nullptr) metrics_->SubmissionRejected(why);
  return refusal;
}

absl::StatusOr<SubmitResult> RunEngine::Submit(v1::Workflow workflow, ValueMap inputs,
                                               ValueMap system, std::string idempotency_key) {
  // Before paying for compilation and code checks: a known key returns its
  // run, a full scheduler refuses. Both are decided again under mu_ below,
  // where the run is admitted.
  if (!idempotency_key.empty()) {
    absl::StatusOr<std::optional<std::string>> existing = FindRunByKey(idempotency_key);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return SubmitResult{**existing, true};
  }
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = AdmitRun(options_.admission, active_.size()); !s.ok()) {
      return Refused(metrics::Rejection::kOverloaded, std::move(s));
    }
  }
  std::string canonical = CanonicalBytes(workflow);
  std::shared_ptr<const graph::Plan> plan = plans_.Find(canonical);
  const bool cached = plan != nullptr;
  if (!cached) {
    graph::CompileResult compiled = graph::Plan::Compile(std::move(workflow));
    if (!compiled.diagnostics.empty()) {
      return Refused(metrics::Rejection::kInvalid,
                     graph::DiagnosticsToStatus(compiled.diagnostics));
    }
    plan = std::move(compiled.plan);
    plans_.Insert(canonical, plan);
  }
  graph::CheckedInputs checked = graph::CheckRunInputs(*plan, inputs);
  std::vector<graph::Diagnostic> problems = graph::CheckNodeLimits(*plan, options_.jobs.maxima);
  std::vector<graph::Diagnostic> code = code_checks_.Check(*plan, options_.code_check_budget);
  problems.insert(problems.end(), code.begin(), code.end());
  problems.insert(problems.end(), checked.diagnostics.begin(), checked.diagnostics.end());
  if (!problems.empty()) {
    return Refused(metrics::Rejection::kInvalid, graph::DiagnosticsToStatus(problems));
  }

  std::string run_id;
  absl::Notification recorded;
  absl::Status record_status;
  {
    absl::MutexLock lock(&mu_);
    if (!idempotency_key.empty()) {
      absl::StatusOr<std::optional<std::string>> existing = FindRunByKey(idempotency_key);
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) return SubmitResult{**existing, true};
    }
    if (absl::Status s = AdmitRun(options_.admission, active_.size()); !s.ok()) {
      return Refused(metrics::Rejection::kOverloaded, std::move(s));
    }
    store::NewRun record;
    record.run_id = NewRunId();
    record.idempotency_key = std::move(idempotency_key);
    // A cached plan leaves the submitted copy unused: the record takes it.
    if (cached) {
      record.workflow = std::move(workflow);
    } else {
      record.workflow = plan->workflow();
    }
    record.inputs = checked.values;
    record.created_at = absl::Now();
    run_id = record.run_id;

    system["workflow_run_id"] = StringValue(run_id);
    system["workflow_id"] = StringValue(WorkflowId(canonical));
    record.system = system;
    ActiveRun& run = active_[run_id];
    run.execution = std::make_unique<run::Execution>(std::move(plan), std::move(checked.values),
                                                     std::move(system), options_.execution);
    run.log = std::make_shared<RunEventLog>();
    run.created_at = record.created_at;
    if (metrics_ != nullptr) metrics_->RunSubmitted();
    {
      absl::MutexLock published(&published_mu_);
      logs_[run_id] = run.log;
      if (!record.idempotency_key.empty()) pending_keys_[record.idempotency_key] = run_id;
    }
    run.deadline = timers_.Schedule(absl::Now() + options_.max_run_time,
                                    [this, run_id] { OnDeadline(run_id); });
    std::string key = record.idempotency_key;
    ApplyLocked(run_id, run, run.execution->Start(), std::move(record),
                [this, key, &recorded, &record_status](absl::Status status) {
                  if (!key.empty()) {
                    absl::MutexLock published(&published_mu_);
                    pending_keys_.erase(key);
                  }
                  record_status = std::move(status);
                  recorded.Notify();
                });
  }
  // Outside the lock: other runs go on while this record is committed.
  writer_.Drain();
  recorded.WaitForNotification();
  if (!record_status.ok()) {
    LogError(absl::StrCat("run ", run_id, ": cannot record the run: ", record_status.message()));
    {
      absl::MutexLock lock(&mu_);
      auto it = active_.find(run_id);
      if (it != active_.end()) {
        v1::NodeError error;
        error.set_code(v1::INTERNAL);
        error.set_message("the run could not be recorded");
        ApplyLocked(run_id, it->second, it->second.execution->Abort(error));
      }
    }
    writer_.Drain();
    return record_status;
  }
  return SubmitResult{run_id, false};
}

std::shared_ptr<RunEventLog> RunEngine::ActiveLog(const std::string& run_id) {
  absl::MutexLock lock(&published_mu_);
  auto it = logs_.find(run_id);
  return it == logs_.end() ? nullptr : it->second;
}

absl::Status RunEngine::Cancel(const std::string& run_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = active_.find(run_id);
    if (it == active_.end()) {
      return absl::NotFoundError(absl::StrCat("run ", run_id, " is not in progress"));
    }
    ApplyLocked(run_id, it->second, it->second.execution->Cancel("requested by a client"));
  }
  // The caller reads the cancelled run back from the store.
  writer_.Flush();
  return absl::OkStatus();
}

void RunEngine::OnJobResult(const dispatch::JobKey& key, v1::NodeResult result) {
  {
    absl::MutexLock lock(&mu_);
    auto it = active_.find(key.run_id);
    if (it == active_.end()) return;  // the run already ended
    ApplyLocked(key.run_id, it->second,
                it->second.execution->OnJobFinished({key.task, key.attempt}, result));
  }
  writer_.Drain();
}

void RunEngine::OnTimer(const std::string& run_id, int timer) {
  {
    absl::MutexLock lock(&mu_);
    auto it = active_.find(run_id);
    if (it == active_.end()) return;
    ApplyLocked(run_id, it->second, it->second.execution->OnTimer(timer));
  }
  writer_.Drain();
}

void RunEngine::OnDeadline(const std::string& run_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = active_.find(run_id);
    if (it == active_.end()) return;
    v1::NodeError error;
    error.set_code(v1::TIMEOUT);
    error.set_message(absl::StrCat("the run exceeded its maximum run time of ",
                                   absl::FormatDuration(options_.max_run_time)));
    ApplyLocked(run_id, it->second, it->second.execution->Abort(error));
  }
  writer_.Drain();
}

void RunEngine::ApplyLocked(const std::string& run_id, ActiveRun& run, run::Step step,
                            std::optional<store::NewRun> create,
                            std::function<void(absl::Status)> durable) {
  const google::protobuf::Timestamp now = Now();
  for (v1::RunEvent& event : step.events) {
    event.set_run_id(run_id);
    event.set_sequence(run.next_sequence++);
    *event.mutable_time() = now;
    if (metrics_ == nullptr) continue;
    if (event.has_node_retry()) metrics_->NodeRetried();
    if (event.has_run_finished()) {
      metrics_->RunFinished(event.run_finished().status(), absl::Now() - run.created_at);
    }
  }
  if (!step.events.empty() || create.has_value()) {
    const bool finishes = run.execution->finished();
    store::RunWrite write;
    write.create = std::move(create);
    write.run_id = run_id;
    write.events = std::move(step.events);
    writer_.Write(std::move(write), [this, run_id, log = run.log, finishes,
                                     durable = std::move(durable)](
                                        absl::Status status, std::vector<v1::RunEvent> events) {
      if (!status.ok()) {
        // The history is the source of truth; without it the run cannot go on.
        LogError(absl::StrCat("run ", run_id, ": cannot persist events: ", status.message()));
      }
      log->Append(std::move(events));
      if (finishes) {
        absl::MutexLock lock(&published_mu_);
        logs_.erase(run_id);
      }
      if (durable) durable(std::move(status));
    });
  }
  for (const run::JobRef& job : step.cancelled_jobs) {
    dispatcher_.CancelJob({run_id, job.task, job.attempt});
  }
  for (const run::JobRequest& request : step.jobs) {
    dispatcher_.Enqueue({run_id, request.task, request.attempt},
                        BuildJob(run.execution->plan().node(request.node), request.inputs,
                                 options_.jobs));
  }
  absl::Time now_time = absl::Now();
  for (const run::TimerRequest& timer : step.timers) {
    int id = timer.timer;
    timers_.Schedule(now_time + absl::Milliseconds(timer.delay_ms),
                     [this, run_id, id] { OnTimer(run_id, id); });
  }
  if (run.execution->finished()) {
    timers_.Cancel(run.deadline);
    active_.erase(run_id);
  }
  if (metrics_ != nullptr) metrics_->SetRunsActive(active_.size());
}

}  // namespace flowgrid::engine
