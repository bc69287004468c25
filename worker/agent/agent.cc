#include "worker/agent/agent.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log.h"
#include "common/worker_stream.h"
#include "common/tls/token_file.h"
#include "flowgrid/v1/worker.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "worker/agent/backoff.h"

namespace flowgrid::agent {
namespace {

using Stream = grpc::ClientReaderWriter<v1::WorkerMessage, v1::SchedulerMessage>;

// How long a drained worker waits for the scheduler to close the stream
// after the worker's half-close, before cancelling the call.
constexpr absl::Duration kCloseWait = absl::Seconds(2);
// How long killed jobs get to be reaped before a reconnect.
constexpr absl::Duration kKillWait = absl::Seconds(5);

// The channel's own reconnect backoff (gRPC's default grows to 120 s)
// follows the agent's, so a restarted scheduler is found within
// reconnect_max rather than minutes later. GRPC_ARG_MIN_RECONNECT_BACKOFF_MS
// is how long one connection attempt (TCP and TLS handshake) may take:
// reconnect_max too, as a TLS handshake on a loaded host or a real network
// can outlast reconnect_initial, and an attempt cut short never succeeds.
std::shared_ptr<grpc::Channel> SchedulerChannel(const AgentOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.reconnect_initial)));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.reconnect_max)));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(absl::ToInt64Milliseconds(options.reconnect_max)));
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::CreateCustomChannel(
      options.scheduler_address,
      options.credentials != nullptr ? options.credentials : grpc::InsecureChannelCredentials(),
      args);
}

}  // namespace

class Agent::Impl {
 public:
  Impl(AgentOptions options, SlotPool::RunFn run_job)
      : options_(std::move(options)),
        stub_(v1::WorkerService::NewStub(SchedulerChannel(options_))),
        pool_(options_.slots, std::move(run_job),
              [this](FinishedJob finished) { OnJobFinished(std::move(finished)); },
              options_.metrics) {}

  absl::Status Run() {
    PublishState();
    std::thread control([this] { ControlLoop(); });
    Backoff backoff(options_.reconnect_initial, options_.reconnect_max,
                    static_cast<uint64_t>(::getpid()) ^ absl::ToUnixNanos(absl::Now()));
    bool first_attempt = true;
    while (!Finished()) {
      if (!first_attempt && options_.metrics != nullptr) options_.metrics->ReconnectAttempted();
      first_attempt = false;
      ServeOneStream(backoff);
      if (Finished()) break;
      const int killed = pool_.CancelAll();
      const absl::Duration delay = backoff.Next();
      LogWarning(absl::StrCat(killed > 0 ? absl::StrCat("killed ", killed,
                                                        " running job(s) whose results can no "
                                                        "longer be delivered; ")
                                         : "",
                              "reconnecting in ", absl::FormatDuration(delay)));
      if (!pool_.WaitIdle(kKillWait)) LogError("killed jobs did not finish in time");
      absl::MutexLock lock(&state_mu_);
      state_mu_.AwaitWithTimeout(absl::Condition(&finished_), delay);
    }
    {
      absl::MutexLock lock(&state_mu_);
      stop_control_ = true;
    }
    control.join();
    LogInfo("drained; exiting");
    return absl::OkStatus();
  }

  void RequestDrain() {
    {
      absl::MutexLock lock(&state_mu_);
      if (drain_requested_) return;
      drain_requested_ = true;
    }
    PublishState();
  }

 private:
  void SetConnected(bool connected) {
    {
      absl::MutexLock lock(&state_mu_);
      connected_ = connected;
    }
    PublishState();
  }

  // Hands the current state to the metrics and on_state_change. Serialized,
  // and the state is read inside: concurrent changes cannot be reported out
  // of order.
  void PublishState() {
    absl::MutexLock publishing(&publish_mu_);
    AgentState state;
    {
      absl::MutexLock lock(&state_mu_);
      state.connected = connected_;
      state.draining = drain_requested_;
    }
    if (options_.metrics != nullptr) {
      options_.metrics->SetConnected(state.connected);
      options_.metrics->SetDraining(state.draining);
    }
    if (options_.on_state_change) options_.on_state_change(state);
  }

  bool Finished() {
    absl::MutexLock lock(&state_mu_);
    return finished_;
  }
  bool Draining() {
    absl::MutexLock lock(&state_mu_);
    return drain_requested_;
  }
  bool DrainGraceOver() {
    absl::MutexLock lock(&state_mu_);
    return drain_grace_over_;
  }

  // One stream from Connect to its end.
  void ServeOneStream(Backoff& backoff) {
    grpc::ClientContext context;
    if (!options_.token_file.empty()) {
      absl::StatusOr<std::string> token = tls::ReadTokenFile(options_.token_file);
      if (!token.ok()) {
        LogError(absl::StrCat("cannot connect to scheduler: --token_file: ",
                              token.status().message()));
        return;
      }
      context.AddMetadata("authorization", absl::StrCat("Bearer ", *token));
    }
    std::unique_ptr<Stream> stream = stub_->Connect(&context);
    uint64_t connection = 0;
    bool hello_sent = false;
    {
      absl::MutexLock lock(&write_mu_);
      if (Finished()) {
        // A drain that ended while this stream was being opened found no
        // stream to close: nothing is left to tell the scheduler.
        context.TryCancel();
        return;
      }
      connection = ++connection_;
      stream_ = stream.get();
      context_ = &context;
      // Under the write lock: nothing can precede Hello on this stream.
      v1::WorkerMessage hello;
      hello.mutable_hello()->set_worker_id(options_.worker_id);
      hello.mutable_hello()->set_slots(options_.slots);
      for (v1::CodeNode::Language runtime : options_.runtimes) {
        hello.mutable_hello()->add_runtimes(runtime);
      }
      hello.mutable_hello()->set_version(options_.version);
      hello_sent = stream_->Write(hello);
      if (hello_sent && Draining()) {
        v1::WorkerMessage draining;
        draining.mutable_draining();
        stream_->Write(draining);
      }
    }
    // Connected once the scheduler accepts the Hello (common/worker_stream.h);
    // a refused stream ends instead, without the marker.
    bool accepted = false;
    if (hello_sent) {
      stream->WaitForInitialMetadata();
      accepted = context.GetServerInitialMetadata().count(kWorkerAcceptedMetadata) > 0;
    }
    if (accepted) {
      SetConnected(true);
      LogInfo(absl::StrCat("connected to scheduler ", options_.scheduler_address, " as ",
                           options_.worker_id, " with ", options_.slots, " slot(s)"));
    }
    v1::SchedulerMessage message;
    while (stream->Read(&message)) HandleMessage(message, connection);
    {
      absl::MutexLock lock(&write_mu_);
      stream_ = nullptr;
      context_ = nullptr;
    }
    if (accepted) SetConnected(false);
    const grpc::Status status = stream->Finish();
    const bool refused = status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                         status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
    if (accepted) backoff.Reset();
    if (Finished()) return;
    if (refused) {
      LogError(absl::StrCat("the scheduler ", options_.scheduler_address,
                            " refused this worker's credentials: ", status.error_message(),
                            " (code ", static_cast<int>(status.error_code()),
                            "); check --token_file"));
    } else {
      LogWarning(absl::StrCat(
          accepted ? "stream to scheduler lost: " : "cannot connect to scheduler: ",
          options_.scheduler_address, ": ", status.error_message(), " (code ",
          static_cast<int>(status.error_code()), ")",
          options_.credentials != nullptr && !accepted
              ? "; with TLS this includes a failed handshake: check --tls_ca_file, "
                "--tls_cert_file/--tls_key_file and --tls_server_name"
              : ""));
    }
  }

  void HandleMessage(v1::SchedulerMessage& message, uint64_t connection) {
    switch (message.kind_case()) {
      case v1::SchedulerMessage::kJob: {
        if (Draining()) {
          v1::JobResult rejected;
          rejected.set_job_id(message.job().job_id());
          rejected.set_attempt(message.job().attempt());
          rejected.mutable_result()->set_status(v1::NODE_FAILED);
          rejected.mutable_result()->mutable_error()->set_code(v1::WORKER_LOST);
          rejected.mutable_result()->mutable_error()->set_message(
              "The worker is draining; the job was not started.");
          SendResult(std::move(rejected), connection);
          return;
        }
        pool_.Submit(std::move(*message.mutable_job()), connection);
        return;
      }
      case v1::SchedulerMessage::kCancel:
        if (!pool_.Cancel(message.cancel().job_id())) {
          LogInfo(absl::StrCat("cancel for job ", message.cancel().job_id(),
                               " which is not here (already finished?)"));
        }
        return;
      case v1::SchedulerMessage::kDrain:
        LogInfo("scheduler asked this worker to drain");
        RequestDrain();
        return;
      case v1::SchedulerMessage::KIND_NOT_SET:
        LogWarning("empty message from scheduler ignored");
        return;
    }
  }

  void OnJobFinished(FinishedJob finished) {
    if (finished.result.error().code() == v1::CANCELLED && DrainGraceOver()) {
      // Killed by the drain, not by the user: WORKER_LOST makes the
      // scheduler run it elsewhere (a job it cancelled itself stays
      // cancelled there).
      finished.result.mutable_error()->set_code(v1::WORKER_LOST);
      finished.result.mutable_error()->set_message(
          "The worker's drain grace ended before the job finished.");
    }
    if (options_.metrics != nullptr) {
      options_.metrics->JobFinished(finished.kind, finished.language, finished.result);
    }
    v1::JobResult result;
    result.set_job_id(std::move(finished.job_id));
    result.set_attempt(finished.attempt);
    *result.mutable_result() = std::move(finished.result);
    SendResult(std::move(result), finished.connection);
  }

  void SendResult(v1::JobResult result, uint64_t connection) {
    v1::WorkerMessage message;
    *message.mutable_result() = std::move(result);
    absl::MutexLock lock(&write_mu_);
    if (stream_ == nullptr || connection != connection_) {
      LogInfo(absl::StrCat("result of job ", message.result().job_id(),
                           " dropped: the stream it came on is gone"));
      return;
    }
    if (!stream_->Write(message)) {
      LogWarning(absl::StrCat("result of job ", message.result().job_id(),
                              " not sent: the stream broke"));
    }
  }

  // Writes `message` if a stream is up; false if not written.
  bool WriteIfConnected(const v1::WorkerMessage& message) {
    absl::MutexLock lock(&write_mu_);
    return stream_ != nullptr && stream_->Write(message);
  }

  // Heartbeats, and the drain sequence when one is requested.
  void ControlLoop() {
    while (true) {
      bool drain_now = false;
      {
        absl::MutexLock lock(&state_mu_);
        auto wake = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) {
          return stop_control_ || (drain_requested_ && !drain_started_);
        };
        state_mu_.AwaitWithTimeout(absl::Condition(&wake), options_.heartbeat_interval);
        if (stop_control_) return;
        if (drain_requested_ && !drain_started_) {
          drain_started_ = true;
          drain_now = true;
        }
      }
      if (drain_now) {
        Drain();
        continue;
      }
      SendHeartbeat();
    }
  }

  void SendHeartbeat() {
    v1::WorkerMessage heartbeat;
    heartbeat.mutable_heartbeat()->set_running_jobs(pool_.InUse());
    WriteIfConnected(heartbeat);
  }

  // Waits up to `timeout` for the running jobs to finish, heartbeating
  // meanwhile so that the scheduler's lease does not expire during a long
  // drain. True if they all finished.
  bool WaitIdleHeartbeating(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!pool_.WaitIdle(std::min(options_.heartbeat_interval, deadline - absl::Now()))) {
      if (absl::Now() >= deadline) return false;
      SendHeartbeat();
    }
    return true;
  }

  void Drain() {
    LogInfo(absl::StrCat("draining: no new jobs; waiting up to ",
                         absl::FormatDuration(options_.drain_grace), " for ", pool_.InUse(),
                         " running job(s)"));
    v1::WorkerMessage draining;
    draining.mutable_draining();
    WriteIfConnected(draining);
    if (!WaitIdleHeartbeating(options_.drain_grace)) {
      {
        absl::MutexLock lock(&state_mu_);
        drain_grace_over_ = true;
      }
      LogWarning(absl::StrCat("drain grace over; killing ", pool_.CancelAll(),
                              " job(s), to be run again elsewhere"));
      pool_.WaitIdle(kKillWait);
    }
    {
      absl::MutexLock lock(&state_mu_);
      finished_ = true;
    }
    // Half-close so the scheduler sees a clean end after the last result;
    // cancel only if it does not close its side in time.
    {
      absl::MutexLock lock(&write_mu_);
      if (stream_ != nullptr) stream_->WritesDone();
    }
    absl::MutexLock lock(&write_mu_);
    auto closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) { return stream_ == nullptr; };
    if (!write_mu_.AwaitWithTimeout(absl::Condition(&closed), kCloseWait)) {
      context_->TryCancel();
    }
  }

  const AgentOptions options_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;

  absl::Mutex state_mu_;
  bool drain_requested_ ABSL_GUARDED_BY(state_mu_) = false;
  bool drain_started_ ABSL_GUARDED_BY(state_mu_) = false;
  bool drain_grace_over_ ABSL_GUARDED_BY(state_mu_) = false;
  bool finished_ ABSL_GUARDED_BY(state_mu_) = false;
  bool stop_control_ ABSL_GUARDED_BY(state_mu_) = false;
  bool connected_ ABSL_GUARDED_BY(state_mu_) = false;
  // Held while the state is reported (outside state_mu_).
  absl::Mutex publish_mu_;

  // Serializes writes; guards the current stream.
  absl::Mutex write_mu_;
  Stream* stream_ ABSL_GUARDED_BY(write_mu_) = nullptr;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(write_mu_) = nullptr;
  uint64_t connection_ ABSL_GUARDED_BY(write_mu_) = 0;

  // Last: destroyed first, so no slot calls back into a dead agent.
  SlotPool pool_;
};

Agent::Agent(AgentOptions options, SlotPool::RunFn run_job)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(run_job))) {}
Agent::~Agent() = default;
absl::Status Agent::Run() { return impl_->Run(); }
void Agent::RequestDrain() { impl_->RequestDrain(); }

}  // namespace flowgrid::agent
