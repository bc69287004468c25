#include "client/sdk/client.h"

#include <algorithm>
#include <optional>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "common/workflow_file.h"
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

// How long Connect's last look at a channel that did not connect may take
// to learn gRPC's reason (see ConnectFailure).
constexpr absl::Duration kConnectDiagnosisTimeout = absl::Seconds(1);

// A PEM file of the TLS options; `what` names its role in errors.
absl::StatusOr<std::string> ReadPemFile(const char* what, const std::string& path,
                                        const char* pem_label) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) {
    return absl::Status(text.status().code(),
                        absl::StrCat("cannot read the ", what, " ", text.status().message()));
  }
  if (!absl::StrContains(*text, absl::StrCat("-----BEGIN ", pem_label))) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " ", path, " holds no PEM ", pem_label));
  }
  return text;
}

// Plaintext, or TLS as `tls` asks for; errors name the field or file.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const TlsOptions& tls) {
  if (!tls.enabled) {
    std::vector<std::string> set;
    if (!tls.ca_file.empty()) set.push_back("ca_file");
    if (!tls.cert_file.empty()) set.push_back("cert_file");
    if (!tls.key_file.empty()) set.push_back("key_file");
    if (!tls.server_name.empty()) set.push_back("server_name");
    if (!set.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS options ", absl::StrJoin(set, ", "), " given but tls.enabled is false"));
    }
    return grpc::InsecureChannelCredentials();
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) {
    absl::StatusOr<std::string> roots = ReadPemFile("TLS CA file", tls.ca_file, "CERTIFICATE");
    if (!roots.ok()) return roots.status();
    ssl.pem_root_certs = *std::move(roots);
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "TLS options cert_file and key_file go together: give both or neither");
  }
  if (!tls.cert_file.empty()) {
    absl::StatusOr<std::string> chain =
        ReadPemFile("TLS client certificate file", tls.cert_file, "CERTIFICATE");
    if (!chain.ok()) return chain.status();
    // "PRIVATE KEY" is in every PEM key label (RSA, EC, PKCS#8).
    absl::StatusOr<std::string> key = ReadPemFile("TLS client key file", tls.key_file, "");
    if (!key.ok()) return key.status();
    if (!absl::StrContains(*key, "PRIVATE KEY-----")) {
      return absl::InvalidArgumentError(
          absl::StrCat("the TLS client key file ", tls.key_file, " holds no PEM private key"));
    }
    ssl.pem_cert_chain = *std::move(chain);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

// gRPC sends metadata values as they are: one outside printable ASCII
// would fail every call, so it is refused at Connect (without echoing it).
absl::Status CheckApiKey(const std::string& api_key) {
  for (char c : api_key) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "api_key holds whitespace or a character outside printable ASCII");
    }
  }
  return absl::OkStatus();
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

  // Every call's context carries the API key. (Call credentials would do
  // the same but need TLS, and a key over plaintext on loopback is allowed.)
  void Authorize(grpc::ClientContext& context) const {
    if (!options.api_key.empty()) {
      context.AddMetadata("authorization", absl::StrCat("Bearer ", options.api_key));
    }
  }

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

  // Why the channel did not connect, as far as gRPC says: a call that does
  // not wait for the channel fails at once with its last connection error
  // (refused, TLS handshake failed, ...). The call never reaches a
  // scheduler, so which one does not matter.
  absl::Status ConnectFailure() const {
    grpc::ClientContext context;
    SetDeadline(context, kConnectDiagnosisTimeout);
    v1::GetRunRequest request;
    v1::Run response;
    grpc::Status probe = stub->GetRun(&context, request, &response);
    std::string reason =
        probe.error_code() == grpc::StatusCode::UNAVAILABLE ? probe.error_message() : "";
    return absl::UnavailableError(absl::StrCat(
        "cannot connect to the flowgrid scheduler at ", address, " within ",
        absl::FormatDuration(options.connect_timeout), reason.empty() ? "" : ": ", reason));
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
      Authorize(context);
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
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  if (absl::Status key = CheckApiKey(options.api_key); !key.ok()) return key;
  auto impl = std::make_unique<Impl>();
  impl->address = address;
  impl->options = options;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  // gRPC's default reconnect backoff grows to 120 s: a scheduler back after
  // a restart would stay unseen for longer than Watch keeps re-attaching.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectBackoffMs);
  if (!options.tls.server_name.empty()) args.SetSslTargetNameOverride(options.tls.server_name);
  impl->channel = grpc::CreateCustomChannel(address, *credentials, args);
  impl->stub = v1::WorkflowService::NewStub(impl->channel);
  if (!impl->channel->WaitForConnected(
          absl::ToChronoTime(absl::Now() + options.connect_timeout))) {
    return impl->ConnectFailure();
  }
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

// One watch: the stream open now, and what carries over to the next one
// when it breaks (the last sequence delivered, the failures in a row).
struct RunEventStream::State {
  State(Client::Impl& client, std::string run_id, int64_t after_sequence)
      : client(client),
        run_id(std::move(run_id)),
        deadline(client.options.watch_timeout == absl::InfiniteDuration()
                     ? absl::InfiniteFuture()
                     : absl::Now() + client.options.watch_timeout),
        last_sequence(after_sequence) {
    backoff.initial_backoff = client.options.watch_initial_backoff;
    backoff.max_backoff = client.options.watch_max_backoff;
  }
  ~State() { CancelStream(); }

  void OpenStream() {
    context = std::make_unique<grpc::ClientContext>();
    if (deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(deadline));
    client.Authorize(*context);
    v1::WatchRunRequest request;
    request.set_run_id(run_id);
    request.set_after_sequence(last_sequence);
    reader = client.stub->WatchRun(context.get(), request);
  }

  // The server ends the stream after run_finished; this does not wait for
  // it. Also how a stream dropped before the end stops.
  void CancelStream() {
    if (reader == nullptr) return;
    context->TryCancel();
    (void)reader->Finish();
    reader.reset();
    context.reset();
  }

  // After the open stream ended without run_finished: waits before the
  // next attempt when the failure is worth one, otherwise ends the watch
  // with `status`.
  void AfterStreamEnded() {
    const grpc::Status ended = reader->Finish();
    const absl::Status failure = FromGrpcStatus(ended, *context);
    reader.reset();
    context.reset();
    if (ended.ok()) {
      return End(absl::InternalError(absl::StrCat(
          "WatchRun stream of run ", run_id, " from ", client.address,
          " ended without run_finished (last sequence received: ", last_sequence, ")")));
    }
    // This context is cancelled only after run_finished or when the stream
    // is dropped: a CANCELLED here comes from a scheduler that stopped
    // mid-stream.
    if (!IsRetryable(failure) && failure.code() != absl::StatusCode::kCancelled) {
      return End(client.Described("WatchRun", failure));
    }
    if (++failures_without_progress > client.options.watch_max_reattempts) {
      const bool refused = failure.code() == absl::StatusCode::kResourceExhausted;
      absl::Status gave_up(
          refused ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kUnavailable,
          absl::StrCat("WatchRun of run ", run_id, " from ", client.address, " failed ",
                       failures_without_progress, " times in a row without an event (last sequence ",
                       last_sequence, "): ", failure.message()));
      std::optional<absl::Duration> retry_delay = GetRetryDelay(failure);
      return End(retry_delay.has_value() ? WithRetryDelay(std::move(gave_up), *retry_delay)
                                         : gave_up);
    }
    absl::SleepFor(std::min(RetryWait(backoff, failures_without_progress, failure),
                            deadline - absl::Now()));
  }

  void End(absl::Status final_status) {
    done = true;
    status = std::move(final_status);
  }

  Client::Impl& client;
  const std::string run_id;
  const absl::Time deadline;
  RetryPolicy backoff;  // only the delays: Watch counts its own attempts
  int64_t last_sequence;
  int failures_without_progress = 0;
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<v1::RunEvent>> reader;
  bool done = false;
  absl::Status status;
};

RunEventStream::RunEventStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
RunEventStream::~RunEventStream() = default;

bool RunEventStream::Next(v1::RunEvent* event) {
  State& s = *state_;
  while (!s.done) {
    if (s.reader == nullptr) s.OpenStream();
    v1::RunEvent read;
    if (!s.reader->Read(&read)) {
      s.AfterStreamEnded();
      continue;
    }
    // A re-attached stream may repeat what was already delivered.
    if (read.sequence() <= s.last_sequence) continue;
    s.last_sequence = read.sequence();
    s.failures_without_progress = 0;
    if (read.has_run_finished()) {
      s.CancelStream();
      s.End(absl::OkStatus());
    }
    *event = std::move(read);
    return true;
  }
  return false;
}

const absl::Status& RunEventStream::status() const { return state_->status; }

std::unique_ptr<RunEventStream> Client::WatchStream(const std::string& run_id,
                                                    int64_t after_sequence) {
  return std::unique_ptr<RunEventStream>(
      new RunEventStream(std::make_unique<RunEventStream::State>(*impl_, run_id, after_sequence)));
}

absl::StatusOr<v1::RunFinished> Client::Watch(const std::string& run_id,
                                              int64_t after_sequence,
                                              const EventCallback& on_event) {
  std::unique_ptr<RunEventStream> events = WatchStream(run_id, after_sequence);
  v1::RunEvent event;
  while (events->Next(&event)) {
    if (on_event) on_event(event);
  }
  // Next ends without an error only after returning run_finished.
  if (!events->status().ok()) return events->status();
  return event.run_finished();
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
  impl_->Authorize(context);
  v1::ListWorkersResponse response;
  grpc::Status status = v1::ClusterService::NewStub(impl_->channel)
                            ->ListWorkers(&context, v1::ListWorkersRequest(), &response);
  if (!status.ok()) return impl_->CallError("ListWorkers", status);
  return response;
}

absl::Status Client::DrainWorker(const std::string& worker_id) {
  grpc::ClientContext context;
  SetDeadline(context, impl_->options.call_timeout);
  impl_->Authorize(context);
  v1::DrainWorkerRequest request;
  request.set_worker_id(worker_id);
  v1::DrainWorkerResponse response;
  grpc::Status status =
      v1::ClusterService::NewStub(impl_->channel)->DrainWorker(&context, request, &response);
  if (!status.ok()) return impl_->CallError("DrainWorker", status);
  return absl::OkStatus();
}

}  // namespace flowgrid
