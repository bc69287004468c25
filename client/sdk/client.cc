#include "client/sdk/client.h"

#include <algorithm>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "flowgrid/v1/cluster.grpc.pb.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace flowgrid {
namespace {

// A run's events and outputs can exceed gRPC's 4 MiB default: each node
// output string may hold 400000 characters and a run many nodes.
constexpr int kMaxReceiveMessageBytes = 64 << 20;
constexpr int kMaxReconnectBackoffMs = 2000;

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// A key for a retried Submit whose caller gave none (see client.h).
std::string NewIdempotencyKey() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return absl::StrFormat("sdk-%016x%016x", rng(), rng());
}

}  // namespace

struct Client::Impl {
  std::string address;
  ClientOptions options;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::WorkflowService::Stub> stub;

  // INVALID_ARGUMENT carries the scheduler's diagnostics, which already say
  // what is wrong, one per line: they are passed on untouched. Other codes
  // get the call and address, which is what a reader needs for transport
  // problems.
  absl::Status CallError(const char* rpc, const grpc::Status& status) const {
    return Described(rpc, FromGrpcStatus(status));
  }
  // The same, keeping the retry delay the scheduler sent in `context`.
  absl::Status CallError(const char* rpc, const grpc::Status& status,
                         const grpc::ClientContext& context) const {
    return Described(rpc, FromGrpcStatus(status, context));
  }
  absl::Status Described(const char* rpc, absl::Status converted) const {
    if (converted.code() == absl::StatusCode::kInvalidArgument) return converted;
    std::optional<absl::Duration> retry_delay = GetRetryDelay(converted);
    absl::Status described(converted.code(), absl::StrCat(rpc, " to ", address, " failed: ",
                                                          converted.message()));
    return retry_delay.has_value() ? WithRetryDelay(std::move(described), *retry_delay)
                                   : described;
  }

  enum class Retries { kOff, kOn };

  // One unary call within the call deadline, retried per options.retry.
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(
      const char* rpc,
      grpc::Status (v1::WorkflowService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                        Response*),
      const Request& request, Retries retries = Retries::kOn) {
    const absl::Time deadline = absl::Now() + options.call_timeout;
    RetryPolicy policy = options.retry;
    if (retries == Retries::kOff) policy.max_attempts = 1;
    Response response;
    absl::Status status = CallWithRetries(policy, deadline, [&]() -> absl::Status {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(deadline));
      response.Clear();
      grpc::Status s = (stub.get()->*method)(&context, request, &response);
      return s.ok() ? absl::OkStatus() : CallError(rpc, s, context);
    });
    if (!status.ok()) return status;
    return response;
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

const std::string& Client::address() const { return impl_->address; }

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const std::string& address,
                                                        ClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->address = address;
  impl->options = options;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC's default reconnect backoff grows to 120 s: a scheduler back after
  // a restart would stay unseen for longer than Watch keeps re-attaching.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  impl->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  if (!impl->channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + options.connect_timeout))) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to the flowgrid scheduler at ", address, " within ",
        absl::FormatDuration(options.connect_timeout)));
  }
  impl->stub = v1::WorkflowService::NewStub(impl->channel);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

absl::StatusOr<std::string> Client::Submit(const v1::Workflow& workflow,
                                           const ValueMap& inputs,
                                           const std::string& idempotency_key,
                                           const ValueMap& system) {
  v1::SubmitRunRequest request;
  *request.mutable_workflow() = workflow;
  *request.mutable_inputs() = inputs;
  request.set_idempotency_key(idempotency_key.empty() && impl_->options.retry.max_attempts > 1
                                  ? NewIdempotencyKey()
                                  : idempotency_key);
  *request.mutable_system() = system;
  absl::StatusOr<v1::SubmitRunResponse> response =
      impl_->Call("SubmitRun", &v1::WorkflowService::Stub::SubmitRun, request);
  if (!response.ok()) return response.status();
  if (response->run_id().empty()) {
    return absl::InternalError(absl::StrCat("SubmitRun to ", impl_->address,
                                            " succeeded but returned no run id"));
  }
  return response->run_id();
}

absl::StatusOr<v1::RunFinished> Client::Watch(const std::string& run_id,
                                              int64_t after_sequence,
                                              const EventCallback& on_event) {
  const ClientOptions& options = impl_->options;
  const absl::Time deadline = options.watch_timeout == absl::InfiniteDuration()
                                  ? absl::InfiniteFuture()
                                  : absl::Now() + options.watch_timeout;
  int64_t last_sequence = after_sequence;
  int failures_without_progress = 0;
  absl::Duration backoff = options.watch_initial_backoff;
  while (true) {
    grpc::ClientContext context;
    if (deadline != absl::InfiniteFuture()) context.set_deadline(absl::ToChronoTime(deadline));
    v1::WatchRunRequest request;
    request.set_run_id(run_id);
    request.set_after_sequence(last_sequence);
    std::unique_ptr<grpc::ClientReader<v1::RunEvent>> reader =
        impl_->stub->WatchRun(&context, request);

    bool progressed = false;
    std::optional<v1::RunFinished> finished;
    v1::RunEvent event;
    while (!finished.has_value() && reader->Read(&event)) {
      // A re-attached stream may repeat what was already delivered.
      if (event.sequence() <= last_sequence) continue;
      last_sequence = event.sequence();
      progressed = true;
      if (on_event) on_event(event);
      if (event.has_run_finished()) finished = event.run_finished();
    }
    if (finished.has_value()) {
      // The server ends the stream after run_finished; do not wait for it.
      context.TryCancel();
      (void)reader->Finish();
      return *std::move(finished);
    }
    grpc::Status status = reader->Finish();
    if (status.ok()) {
      return absl::InternalError(absl::StrCat(
          "WatchRun stream of run ", run_id, " from ", impl_->address,
          " ended without run_finished (last sequence received: ", last_sequence, ")"));
    }
    // This context is cancelled only after run_finished (above): a
    // CANCELLED here comes from a scheduler that stopped mid-stream.
    if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
        status.error_code() != grpc::StatusCode::CANCELLED) {
      return impl_->CallError("WatchRun", status);
    }
    if (progressed) {
      failures_without_progress = 0;
      backoff = options.watch_initial_backoff;
    }
    if (++failures_without_progress > options.watch_max_reattempts) {
      return absl::UnavailableError(absl::StrCat(
          "WatchRun of run ", run_id, " from ", impl_->address, " failed ",
          failures_without_progress, " times in a row without an event (last sequence ",
          last_sequence, "): ", status.error_message()));
    }
    absl::SleepFor(std::min(backoff, deadline - absl::Now()));
    backoff = std::min(backoff * 2, options.watch_max_backoff);
  }
}

absl::StatusOr<v1::RunFinished> Client::Run(
    const v1::Workflow& workflow, const ValueMap& inputs, const EventCallback& on_event,
    const std::function<void(const std::string& run_id)>& on_submitted,
    const std::string& idempotency_key, const ValueMap& system) {
  absl::StatusOr<std::string> run_id = Submit(workflow, inputs, idempotency_key, system);
  if (!run_id.ok()) return run_id.status();
  if (on_submitted) on_submitted(*run_id);
  return Watch(*run_id, 0, on_event);
}

absl::StatusOr<v1::Run> Client::Get(const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  return impl_->Call("GetRun", &v1::WorkflowService::Stub::GetRun, request);
}

absl::StatusOr<v1::ListRunsResponse> Client::List(int page_size, const std::string& page_token,
                                                  v1::RunStatus status) {
  v1::ListRunsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  request.set_status(status);
  return impl_->Call("ListRuns", &v1::WorkflowService::Stub::ListRuns, request);
}

absl::StatusOr<v1::Run> Client::Cancel(const std::string& run_id) {
  v1::CancelRunRequest request;
  request.set_run_id(run_id);
  return impl_->Call("CancelRun", &v1::WorkflowService::Stub::CancelRun, request);
}

absl::StatusOr<v1::RunNodeResponse> Client::RunNode(const v1::Workflow& workflow,
                                                    const std::string& node_id,
                                                    const ValueMap& inputs) {
  v1::RunNodeRequest request;
  *request.mutable_workflow() = workflow;
  request.set_node_id(node_id);
  *request.mutable_inputs() = inputs;
  // Not retried: each attempt would run the node's code again.
  return impl_->Call("RunNode", &v1::WorkflowService::Stub::RunNode, request,
                     Impl::Retries::kOff);
}

absl::StatusOr<v1::ValidateWorkflowResponse> Client::Validate(
    const v1::Workflow& workflow) {
  v1::ValidateWorkflowRequest request;
  *request.mutable_workflow() = workflow;
  return impl_->Call("ValidateWorkflow", &v1::WorkflowService::Stub::ValidateWorkflow,
                     request);
}

absl::StatusOr<v1::ListWorkersResponse> Client::ListWorkers() {
  grpc::ClientContext context;
  SetDeadline(context, impl_->options.call_timeout);
  v1::ListWorkersResponse response;
  grpc::Status status = v1::ClusterService::NewStub(impl_->channel)
                            ->ListWorkers(&context, v1::ListWorkersRequest(), &response);
  if (!status.ok()) return impl_->CallError("ListWorkers", status);
  return response;
}

absl::Status Client::DrainWorker(const std::string& worker_id) {
  grpc::ClientContext context;
  SetDeadline(context, impl_->options.call_timeout);
  v1::DrainWorkerRequest request;
  request.set_worker_id(worker_id);
  v1::DrainWorkerResponse response;
  grpc::Status status =
      v1::ClusterService::NewStub(impl_->channel)->DrainWorker(&context, request, &response);
  if (!status.ok()) return impl_->CallError("DrainWorker", status);
  return absl::OkStatus();
}

}  // namespace flowgrid
