#include "scheduler/engine/run_engine.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/graph/run_inputs.h"

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

int64_t OrDefault(int64_t value, int64_t fallback) { return value > 0 ? value : fallback; }

}  // namespace

EngineOptions DefaultEngineOptions() {
  EngineOptions o;
  o.default_limits.set_timeout_ms(10'000);
  o.default_limits.set_memory_bytes(256LL << 20);
  o.default_limits.set_max_processes(32);
  o.default_limits.set_max_output_bytes(1 << 20);
  o.output_limits.set_max_string_length(400'000);
  o.output_limits.set_max_depth(5);
  o.output_limits.set_max_number_array_length(1000);
  o.output_limits.set_max_array_length(30);
  return o;
}

RunEngine::RunEngine(store::RunStore* store, EngineOptions options)
    : store_(store),
      options_(std::move(options)),
      dispatcher_(
          [this](const dispatch::JobKey& key, int attempt, v1::NodeResult result) {
            OnJobResult(key, attempt, std::move(result));
          },
          options_.dispatch) {}

absl::Status RunEngine::RecoverUnfinishedRuns() {
  absl::StatusOr<std::vector<std::string>> unfinished = store_->ListUnfinishedRuns();
  if (!unfinished.ok()) return unfinished.status();
  for (const std::string& run_id : *unfinished) {
    absl::StatusOr<std::vector<v1::RunEvent>> events = store_->ReadEvents(run_id, 0);
    if (!events.ok()) return events.status();
    v1::RunEvent event;
    event.set_run_id(run_id);
    event.set_sequence(events->empty() ? 1 : events->back().sequence() + 1);
    *event.mutable_time() = Now();
    v1::RunFinished* finished = event.mutable_run_finished();
    finished->set_status(v1::RUN_FAILED);
    finished->mutable_error()->set_code(v1::INTERNAL);
    finished->mutable_error()->set_message(
        "the scheduler stopped while this run was in progress; the run was not resumed");
    if (absl::Status s = store_->AppendEvents(run_id, {event}); !s.ok()) return s;
    LogWarning(absl::StrCat("run ", run_id, " was unfinished at start-up; marked FAILED"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SubmitResult> RunEngine::Submit(v1::Workflow workflow, ValueMap inputs,
                                               std::string idempotency_key) {
  graph::CompileResult compiled = graph::Plan::Compile(std::move(workflow));
  if (!compiled.diagnostics.empty()) return graph::DiagnosticsToStatus(compiled.diagnostics);
  graph::CheckedInputs checked = graph::CheckRunInputs(*compiled.plan, inputs);
  if (!checked.diagnostics.empty()) return graph::DiagnosticsToStatus(checked.diagnostics);

  absl::MutexLock lock(&mu_);
  if (!idempotency_key.empty()) {
    absl::StatusOr<std::optional<std::string>> existing =
        store_->FindRunByIdempotencyKey(idempotency_key);
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return SubmitResult{**existing, true};
  }
  store::NewRun record;
  record.run_id = NewRunId();
  record.idempotency_key = std::move(idempotency_key);
  record.workflow = compiled.plan->workflow();
  record.inputs = checked.values;
  record.created_at = absl::Now();
  if (absl::Status s = store_->CreateRun(record); !s.ok()) return s;

  ActiveRun& run = active_[record.run_id];
  run.execution = std::make_unique<run::Execution>(compiled.plan, std::move(checked.values),
                                                   options_.execution);
  run.log = std::make_shared<RunEventLog>();
  ApplyLocked(record.run_id, run, run.execution->Start());
  return SubmitResult{record.run_id, false};
}

std::shared_ptr<RunEventLog> RunEngine::ActiveLog(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(run_id);
  return it == active_.end() ? nullptr : it->second.log;
}

absl::Status RunEngine::Cancel(const std::string& run_id) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(run_id);
  if (it == active_.end()) {
    return absl::NotFoundError(absl::StrCat("run ", run_id, " is not in progress"));
  }
  ApplyLocked(run_id, it->second, it->second.execution->Cancel("requested by a client"));
  return absl::OkStatus();
}

void RunEngine::OnJobResult(const dispatch::JobKey& key, int attempt, v1::NodeResult result) {
  absl::MutexLock lock(&mu_);
  auto it = active_.find(key.run_id);
  if (it == active_.end()) return;  // the run already ended
  ApplyLocked(key.run_id, it->second,
              it->second.execution->OnJobFinished(key.node, attempt, result));
}

void RunEngine::ApplyLocked(const std::string& run_id, ActiveRun& run, run::Step step) {
  const google::protobuf::Timestamp now = Now();
  for (v1::RunEvent& event : step.events) {
    event.set_run_id(run_id);
    event.set_sequence(run.next_sequence++);
    *event.mutable_time() = now;
  }
  if (absl::Status s = store_->AppendEvents(run_id, step.events); !s.ok()) {
    // The history is the source of truth; without it the run cannot go on.
    LogError(absl::StrCat("run ", run_id, ": cannot persist events: ", s.message()));
  }
  run.log->Append(step.events);
  if (!step.cancelled_nodes.empty()) dispatcher_.CancelRun(run_id);
  for (const run::JobRequest& request : step.jobs) {
    dispatcher_.Enqueue({run_id, request.node}, request.attempt,
                        MakeJob(run.execution->plan(), request));
  }
  if (run.execution->finished()) active_.erase(run_id);
}

v1::Job RunEngine::MakeJob(const graph::Plan& plan, const run::JobRequest& request) const {
  const v1::Node& node = plan.node(request.node);
  v1::Job job;
  job.set_language(node.code().language());
  job.set_code(node.code().code());
  *job.mutable_inputs() = request.inputs;
  *job.mutable_outputs() = node.code().outputs();
  const v1::Limits& asked = node.limits();
  const v1::Limits& defaults = options_.default_limits;
  v1::Limits* limits = job.mutable_limits();
  limits->set_timeout_ms(OrDefault(asked.timeout_ms(), defaults.timeout_ms()));
  limits->set_memory_bytes(OrDefault(asked.memory_bytes(), defaults.memory_bytes()));
  limits->set_max_processes(
      static_cast<int32_t>(OrDefault(asked.max_processes(), defaults.max_processes())));
  limits->set_max_output_bytes(OrDefault(asked.max_output_bytes(), defaults.max_output_bytes()));
  *job.mutable_output_limits() = options_.output_limits;
  return job;
}

}  // namespace flowgrid::engine
