#include "scheduler/service/workflow_service.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "google/protobuf/util/time_util.h"
#include "scheduler/graph/plan.h"
#include "scheduler/service/client_identity.h"
#include "scheduler/service/secret_values.h"

namespace flowgrid::service {
namespace {

grpc::Status RequireRunId(const std::string& run_id) {
  if (run_id.empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "run_id is required");
  }
  return grpc::Status::OK;
}

// How long one wait for new events lasts before the stream checks whether
// its client is still there.
constexpr absl::Duration kWatchPoll = absl::Milliseconds(500);

// Writes events in order; run_finished (always the last event of a run)
// goes out in the same packet as the end of the stream (WriteLast), saving
// the client a round of reads. (No buffer_hint on the others: with the sync
// API a buffered write can wait for a later write that never comes.) Only
// over a socket: gRPC 1.51's in-process transport (the console's channel,
// peer "unknown") delivers such a stream's status without its last message
// and leaves this handler's end waiting forever. False if the stream broke.
bool OverSocket(const grpc::ServerContext& context) {
  const std::string peer = context.peer();
  return absl::StartsWith(peer, "ipv4:") || absl::StartsWith(peer, "ipv6:") ||
         absl::StartsWith(peer, "unix:");
}

bool WriteEvents(const std::vector<v1::RunEvent>& events, const grpc::ServerContext& context,
                 grpc::ServerWriter<v1::RunEvent>* writer) {
  for (const v1::RunEvent& event : events) {
    if (event.has_run_finished() && OverSocket(context)) {
      // Buffered until the handler returns; a broken stream shows there.
      writer->WriteLast(event, grpc::WriteOptions());
      return true;
    }
    if (!writer->Write(event)) return false;
  }
  return true;
}

void AddDiagnostics(const std::vector<graph::Diagnostic>& diagnostics,
                    v1::ValidateWorkflowResponse* response) {
  for (const graph::Diagnostic& d : diagnostics) {
    v1::Diagnostic* out = response->add_diagnostics();
    out->set_node_id(d.node_id);
    out->set_field(d.field);
    out->set_message(d.message);
  }
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

WorkflowServiceImpl::WorkflowServiceImpl(engine::RunEngine* engine, store::RunStore* store,
                                         WorkflowServiceOptions options,
                                         metrics::SchedulerMetrics* metrics)
    : engine_(engine),
      store_(store),
      options_(options),
      metrics_(metrics),
      watch_rate_(options.max_watch_rate > 0
                      ? std::make_unique<limits::ClientRateLimiter>(
                            options.max_watch_rate,
                            limits::ClientRateLimiter::BurstForRate(options.max_watch_rate))
                      : nullptr) {}

grpc::Status WorkflowServiceImpl::SubmitRun(grpc::ServerContext* context,
                                            const v1::SubmitRunRequest* request,
                                            v1::SubmitRunResponse* response) {
  if (!request->has_workflow()) {
    if (metrics_ != nullptr) metrics_->SubmissionRejected(metrics::Rejection::kInvalid);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "workflow is required");
  }
  if (absl::Status s = limits::CheckSubmitRunSize(*request, options_.input_limits); !s.ok()) {
    if (metrics_ != nullptr) metrics_->SubmissionRejected(metrics::Rejection::kTooLarge);
    return ToGrpcStatus(s);
  }
  absl::StatusOr<engine::SubmitResult> submitted =
      engine_->Submit(request->workflow(), request->inputs(), request->system(),
                      request->idempotency_key());
  if (!submitted.ok()) return ToGrpcStatus(submitted.status(), context);
  response->set_run_id(submitted->run_id);
  response->set_existing(submitted->existing);
  return grpc::Status::OK;
}

grpc::Status WorkflowServiceImpl::WatchRun(grpc::ServerContext* context,
                                           const v1::WatchRunRequest* request,
                                           grpc::ServerWriter<v1::RunEvent>* writer) {
  if (watch_rate_ != nullptr) {
    const std::string client = ClientIdentity(*context);
    if (std::optional<absl::Duration> wait = watch_rate_->TryAcquire(client)) {
      if (metrics_ != nullptr) metrics_->SubmissionRejected(metrics::Rejection::kRateLimited);
      return ToGrpcStatus(
          WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                             "client ", client, " opens WatchRun streams faster than its limit of ",
                             watch_rate_->rate(), " per second (--max_watch_rate); retry in ",
                             absl::FormatDuration(*wait))),
                         *wait),
          context);
    }
  }
  // Taken and checked in one step, so concurrent watchers never overshoot.
  if (watch_streams_.fetch_add(1) >= options_.max_watch_streams) {
    watch_streams_.fetch_sub(1);
    return ToGrpcStatus(
        WithRetryDelay(absl::ResourceExhaustedError(absl::StrCat(
                           "the scheduler is at its limit of ", options_.max_watch_streams,
                           " WatchRun streams (--max_watch_streams); retry in ",
                           absl::FormatDuration(options_.watch_retry_delay))),
                       options_.watch_retry_delay),
        context);
  }
  if (metrics_ != nullptr) metrics_->WatchStreamOpened();
  grpc::Status status = WatchAdmitted(context, request, writer);
  if (metrics_ != nullptr) metrics_->WatchStreamClosed();
  watch_streams_.fetch_sub(1);
  return status;
}

grpc::Status WorkflowServiceImpl::WatchAdmitted(grpc::ServerContext* context,
                                                const v1::WatchRunRequest* request,
                                                grpc::ServerWriter<v1::RunEvent>* writer) {
  if (grpc::Status s = RequireRunId(request->run_id()); !s.ok()) return s;
  int64_t after = request->after_sequence();
  std::shared_ptr<engine::RunEventLog> log = engine_->ActiveLog(request->run_id());
  if (log == nullptr) {
    // Not in progress: the store holds the whole history.
    absl::StatusOr<std::vector<v1::RunEvent>> events =
        store_->ReadEvents(request->run_id(), after);
    if (!events.ok()) return ToGrpcStatus(events.status());
    if (events->empty() && !store_->GetRun(request->run_id()).ok()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          absl::StrCat("run ", request->run_id(), " does not exist"));
    }
    return WriteEvents(*events, *context, writer) ? grpc::Status::OK : grpc::Status::CANCELLED;
  }
  while (!context->IsCancelled()) {
    std::vector<v1::RunEvent> events = log->WaitAfter(after, kWatchPoll);
    if (events.empty()) continue;
    if (!WriteEvents(events, *context, writer)) return grpc::Status::CANCELLED;
    if (events.back().has_run_finished()) return grpc::Status::OK;
    after = events.back().sequence();
  }
  return grpc::Status::CANCELLED;
}

grpc::Status WorkflowServiceImpl::GetRun(grpc::ServerContext*, const v1::GetRunRequest* request,
                                         v1::Run* response) {
  if (grpc::Status s = RequireRunId(request->run_id()); !s.ok()) return s;
  absl::StatusOr<v1::Run> run = store_->GetRun(request->run_id());
  if (!run.ok()) return ToGrpcStatus(run.status());
  absl::StatusOr<store::NewRun> record = store_->GetRunRecord(request->run_id());
  // A run stored without its system values (store schema 1) still shows.
  if (record.ok()) {
    BlankSecretValues(record->workflow);
    *run->mutable_workflow() = std::move(record->workflow);
    *run->mutable_system() = std::move(record->system);
  } else if (record.status().code() != absl::StatusCode::kFailedPrecondition) {
    return ToGrpcStatus(record.status());
  }
  *response = *std::move(run);
  return grpc::Status::OK;
}

grpc::Status WorkflowServiceImpl::ListRuns(grpc::ServerContext*,
                                           const v1::ListRunsRequest* request,
                                           v1::ListRunsResponse* response) {
  store::RunFilter filter;
  filter.status = request->status();
  filter.workflow_name = request->workflow_name();
  if (request->has_created_after()) filter.created_after = ToTime(request->created_after());
  if (request->has_created_before()) filter.created_before = ToTime(request->created_before());
  absl::StatusOr<store::RunPage> page =
      store_->ListRuns(request->page_size(), request->page_token(), filter);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (v1::Run& run : page->runs) *response->add_runs() = std::move(run);
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status WorkflowServiceImpl::CancelRun(grpc::ServerContext* context,
                                            const v1::CancelRunRequest* request,
                                            v1::Run* response) {
  if (grpc::Status s = RequireRunId(request->run_id()); !s.ok()) return s;
  if (absl::Status s = engine_->Cancel(request->run_id()); !s.ok()) {
    // A finished run cannot be cancelled; an unknown one does not exist.
    absl::StatusOr<v1::Run> run = store_->GetRun(request->run_id());
    if (!run.ok()) return ToGrpcStatus(run.status());
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("run ", request->run_id(), " has already finished"));
  }
  v1::GetRunRequest get;
  get.set_run_id(request->run_id());
  return GetRun(context, &get, response);
}

grpc::Status WorkflowServiceImpl::RerunRun(grpc::ServerContext* context,
                                           const v1::RerunRunRequest* request,
                                           v1::SubmitRunResponse* response) {
  if (grpc::Status s = RequireRunId(request->run_id()); !s.ok()) return s;
  absl::StatusOr<store::NewRun> record = store_->GetRunRecord(request->run_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  absl::StatusOr<engine::SubmitResult> submitted =
      engine_->Submit(std::move(record->workflow), std::move(record->inputs),
                      std::move(record->system), request->idempotency_key());
  if (!submitted.ok()) return ToGrpcStatus(submitted.status(), context);
  response->set_run_id(submitted->run_id);
  response->set_existing(submitted->existing);
  return grpc::Status::OK;
}

grpc::Status WorkflowServiceImpl::RunNode(grpc::ServerContext*, const v1::RunNodeRequest* request,
                                          v1::RunNodeResponse* response) {
  if (absl::Status s = limits::CheckRunNodeSize(*request, options_.input_limits); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<v1::RunNodeResponse> ran = engine_->RunNode(*request);
  if (!ran.ok()) return ToGrpcStatus(ran.status());
  *response = *std::move(ran);
  return grpc::Status::OK;
}

grpc::Status WorkflowServiceImpl::ValidateWorkflow(grpc::ServerContext*,
                                                   const v1::ValidateWorkflowRequest* request,
                                                   v1::ValidateWorkflowResponse* response) {
  // An oversized workflow is not compiled nor its code sent to workers:
  // the size excesses are its only diagnostics.
  const std::vector<graph::Diagnostic> excesses =
      limits::WorkflowSizeExcesses(request->workflow(), options_.input_limits);
  if (!excesses.empty()) {
    response->set_valid(false);
    AddDiagnostics(excesses, response);
    return grpc::Status::OK;
  }
  engine::Validation validation = engine_->Validate(request->workflow());
  response->set_valid(validation.diagnostics.empty());
  AddDiagnostics(validation.diagnostics, response);
  for (const std::string& id : validation.order) response->add_order(id);
  return grpc::Status::OK;
}

}  // namespace flowgrid::service
