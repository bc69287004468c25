// flowgrid::Client against an in-process fake WorkflowService: the watch
// re-attach rules (resume after the last sequence, drop repeats, bounded
// retries, a real server stopping and another taking its port, streams
// refused for now by the watch-stream cap), the iterator form, error
// passing, and connection failure.
#include "client/sdk/client.h"

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_status.h"
#include "common/retry_delay.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The events of one short run: run_started, node_started, node_finished,
// run_finished, numbered 1..4.
std::vector<v1::RunEvent> RunEvents() {
  std::vector<v1::RunEvent> events(4);
  for (int i = 0; i < 4; ++i) {
    events[i].set_run_id("r-1");
    events[i].set_sequence(i + 1);
  }
  events[0].mutable_run_started();
  events[1].mutable_node_started()->set_node_id("greet");
  events[2].mutable_node_finished()->set_node_id("greet");
  events[3].mutable_run_finished()->set_status(v1::RUN_SUCCEEDED);
  (*events[3].mutable_run_finished()->mutable_outputs())["greeting"] = StringValue("hi");
  return events;
}

// How the fake answers each WatchRun attempt.
enum class Behavior {
  kBreakAfterTwoThenResumeWithRepeat,  // 1st: events 1-2 then UNAVAILABLE; 2nd: 2-4
  kCancelAfterTwoThenResumeWithRepeat,  // the same with CANCELLED (a stopping server)
  kAlwaysUnavailable,
  kEndWithoutRunFinished,
  kNotFound,
  // Events 1-2, then holds the stream open until the server stops.
  kTwoThenHoldUntilStopped,
  // Every event after the requested sequence.
  kServeAfterRequested,
  // 1st and 2nd: RESOURCE_EXHAUSTED asking for kRefusalRetryDelay (the
  // scheduler's cap on watch streams); 3rd: every event.
  kRefuseTwiceThenServe,
  kAlwaysRefuse,
  // Every event, to a call carrying `authorization: Bearer <kApiKey>`;
  // UNAUTHENTICATED otherwise (as a scheduler with --api_keys_file).
  kRequireApiKey,
};

constexpr char kApiKey[] = "k-0123456789abcdef";

constexpr absl::Duration kRefusalRetryDelay = absl::Milliseconds(60);

class FakeWorkflowService final : public v1::WorkflowService::Service {
 public:
  explicit FakeWorkflowService(Behavior behavior) : behavior_(behavior) {}

  grpc::Status SubmitRun(grpc::ServerContext* context, const v1::SubmitRunRequest*,
                         v1::SubmitRunResponse*) override {
    RecordAuthorization(*context);
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        "node a: edges: cycle: a -> b -> a\nnode c: inputs.x: missing");
  }

  grpc::Status WatchRun(grpc::ServerContext* context, const v1::WatchRunRequest* request,
                        grpc::ServerWriter<v1::RunEvent>* writer) override {
    int attempt;
    {
      absl::MutexLock lock(&mu_);
      after_sequences_.push_back(request->after_sequence());
      authorizations_.push_back(Authorization(*context));
      attempt_times_.push_back(absl::Now());
      attempt = static_cast<int>(after_sequences_.size());
    }
    const std::vector<v1::RunEvent> events = RunEvents();
    switch (behavior_) {
      case Behavior::kBreakAfterTwoThenResumeWithRepeat:
      case Behavior::kCancelAfterTwoThenResumeWithRepeat:
        if (attempt == 1) {
          writer->Write(events[0]);
          writer->Write(events[1]);
          return behavior_ == Behavior::kBreakAfterTwoThenResumeWithRepeat
                     ? grpc::Status(grpc::StatusCode::UNAVAILABLE, "scheduler restarting")
                     : grpc::Status(grpc::StatusCode::CANCELLED, "scheduler stopping");
        }
        // Resends event 2 although the client asked for events after 2.
        for (int i = 1; i < 4; ++i) writer->Write(events[i]);
        return grpc::Status::OK;
      case Behavior::kAlwaysUnavailable:
        return grpc::Status(grpc::StatusCode::UNAVAILABLE, "scheduler restarting");
      case Behavior::kEndWithoutRunFinished:
        writer->Write(events[0]);
        return grpc::Status::OK;
      case Behavior::kNotFound:
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "run r-1 does not exist");
      case Behavior::kTwoThenHoldUntilStopped: {
        writer->Write(events[0]);
        writer->Write(events[1]);
        {
          absl::MutexLock lock(&mu_);
          held_ = true;
        }
        for (int i = 0; i < 1000 && !context->IsCancelled(); ++i) {
          absl::SleepFor(absl::Milliseconds(10));
        }
        {
          absl::MutexLock lock(&mu_);
          client_cancelled_ = context->IsCancelled();
        }
        return grpc::Status::CANCELLED;
      }
      case Behavior::kRefuseTwiceThenServe:
      case Behavior::kAlwaysRefuse:
        if (attempt <= 2 || behavior_ == Behavior::kAlwaysRefuse) {
          return ToGrpcStatus(WithRetryDelay(absl::ResourceExhaustedError(
                                                 "at its limit of 1 WatchRun streams"),
                                             kRefusalRetryDelay),
                              context);
        }
        for (const v1::RunEvent& event : events) writer->Write(event);
        return grpc::Status::OK;
      case Behavior::kRequireApiKey:
        if (Authorization(*context) != absl::StrCat("Bearer ", kApiKey)) {
          return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing or unknown API key");
        }
        for (const v1::RunEvent& event : events) writer->Write(event);
        return grpc::Status::OK;
      case Behavior::kServeAfterRequested:
        for (const v1::RunEvent& event : events) {
          if (event.sequence() > request->after_sequence()) writer->Write(event);
        }
        return grpc::Status::OK;
    }
    return grpc::Status::OK;
  }

  std::vector<int64_t> after_sequences() {
    absl::MutexLock lock(&mu_);
    return after_sequences_;
  }

  // The `authorization` metadata of each call ("" when absent), in order.
  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }

  // When each WatchRun attempt arrived.
  std::vector<absl::Time> attempt_times() {
    absl::MutexLock lock(&mu_);
    return attempt_times_;
  }

  // Waits (bounded) until a kTwoThenHoldUntilStopped stream is held.
  bool AwaitHeld() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&held_), absl::Seconds(10));
  }

  // Waits (bounded) until the client cancels a held stream.
  bool AwaitClientCancelled() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&client_cancelled_), absl::Seconds(10));
  }

 private:
  static std::string Authorization(const grpc::ServerContext& context) {
    auto it = context.client_metadata().find("authorization");
    return it == context.client_metadata().end() ? "" : std::string(it->second.data(),
                                                                     it->second.size());
  }
  void RecordAuthorization(const grpc::ServerContext& context) {
    absl::MutexLock lock(&mu_);
    authorizations_.push_back(Authorization(context));
  }

  const Behavior behavior_;
  absl::Mutex mu_;
  std::vector<int64_t> after_sequences_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Time> attempt_times_ ABSL_GUARDED_BY(mu_);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool client_cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

class ClientTest : public ::testing::Test {
 protected:
  // Serves on `address` (port 0: a free port, read back into address_).
  void Serve(Behavior behavior, const std::string& address = "127.0.0.1:0") {
    service_ = std::make_unique<FakeWorkflowService>(behavior);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = "127.0.0.1:" + std::to_string(port);
  }

  std::unique_ptr<Client> ConnectOrDie(const std::string& api_key = "") {
    ClientOptions options;
    options.api_key = api_key;
    options.watch_max_reattempts = 2;
    options.watch_initial_backoff = absl::Milliseconds(1);
    options.watch_timeout = absl::Seconds(20);
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address_, options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  // Watches a run whose stream breaks after event 2 (`behavior`): every
  // event is delivered once and the re-attach asks for events after 2.
  void ExpectReattachAfterTheLastSequence(Behavior behavior) {
    Serve(behavior);
    std::unique_ptr<Client> client = ConnectOrDie();
    ASSERT_NE(client, nullptr);
    std::vector<int64_t> delivered;
    absl::StatusOr<v1::RunFinished> finished = client->Watch(
        "r-1", 0, [&](const v1::RunEvent& event) { delivered.push_back(event.sequence()); });
    ASSERT_TRUE(finished.ok()) << finished.status();
    EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
    EXPECT_EQ(finished->outputs().at("greeting").string_value(), "hi");
    EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4));
    EXPECT_THAT(service_->after_sequences(), ElementsAre(0, 2));
  }

  // Watches run r-1 on a fake behaving as `behavior`: how the watch ended
  // (OK when it returned a RunFinished).
  absl::Status WatchOutcome(Behavior behavior) {
    Serve(behavior);
    std::unique_ptr<Client> client = ConnectOrDie();
    if (client == nullptr) return absl::UnknownError("not connected");
    return client->Watch("r-1", 0, nullptr).status();
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  std::unique_ptr<FakeWorkflowService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(ClientTest, WatchReattachesAfterTheLastSequenceAndDropsRepeats) {
  ExpectReattachAfterTheLastSequence(Behavior::kBreakAfterTwoThenResumeWithRepeat);
}

TEST_F(ClientTest, WatchReattachesWhenTheSchedulerCancelsTheStream) {
  ExpectReattachAfterTheLastSequence(Behavior::kCancelAfterTwoThenResumeWithRepeat);
}

TEST_F(ClientTest, WatchRidesOutAServerRestartDeliveringEveryEventOnce) {
  Serve(Behavior::kTwoThenHoldUntilStopped);
  ClientOptions options;
  options.watch_initial_backoff = absl::Milliseconds(50);
  options.watch_max_backoff = absl::Milliseconds(200);
  options.watch_max_reattempts = 100;
  options.watch_timeout = absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(address_, options);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<int64_t> delivered;
  absl::StatusOr<v1::RunFinished> finished = absl::UnknownError("not watched");
  std::thread watch([&] {
    finished = (*client)->Watch("r-1", 0, [&](const v1::RunEvent& e) {
      delivered.push_back(e.sequence());
    });
  });
  ASSERT_TRUE(service_->AwaitHeld());
  // The server stops mid-stream and another one starts on the same port.
  const std::string address = address_;
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  std::unique_ptr<FakeWorkflowService> stopped = std::move(service_);
  Serve(Behavior::kServeAfterRequested, address);
  watch.join();
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->outputs().at("greeting").string_value(), "hi");
  EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(stopped->after_sequences(), ElementsAre(0));
  ASSERT_FALSE(service_->after_sequences().empty());
  EXPECT_EQ(service_->after_sequences().back(), 2);
}

TEST_F(ClientTest, WatchGivesUpAfterBoundedReattempts) {
  absl::Status outcome = WatchOutcome(Behavior::kAlwaysUnavailable);
  EXPECT_EQ(outcome.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(outcome.message(), HasSubstr("failed 3 times in a row without an event"));
  EXPECT_EQ(service_->after_sequences().size(), 3u);
}

TEST_F(ClientTest, WatchRetriesAStreamRefusedByTheCapAfterTheDelayTheSchedulerAsks) {
  Serve(Behavior::kRefuseTwiceThenServe);
  std::unique_ptr<Client> client = ConnectOrDie();  // backoff 1 ms, 2 re-attempts
  ASSERT_NE(client, nullptr);
  std::vector<int64_t> delivered;
  absl::StatusOr<v1::RunFinished> finished = client->Watch(
      "r-1", 0, [&](const v1::RunEvent& event) { delivered.push_back(event.sequence()); });
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(service_->after_sequences(), ElementsAre(0, 0, 0));
  // Each retry waited at least the scheduler's delay, not the 1 ms backoff.
  std::vector<absl::Time> attempts = service_->attempt_times();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_GE(attempts[1] - attempts[0], kRefusalRetryDelay);
  EXPECT_GE(attempts[2] - attempts[1], kRefusalRetryDelay);
}

TEST_F(ClientTest, WatchGivingUpOnRefusalsKeepsTheCodeAndRetryDelay) {
  absl::Status outcome = WatchOutcome(Behavior::kAlwaysRefuse);
  EXPECT_EQ(outcome.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(outcome.message(),
              HasSubstr("failed 3 times in a row without an event (last sequence 0): "
                        "at its limit of 1 WatchRun streams"));
  EXPECT_EQ(GetRetryDelay(outcome), kRefusalRetryDelay);
  EXPECT_EQ(service_->after_sequences().size(), 3u);
}

TEST_F(ClientTest, WatchStreamPullsEveryEventOnceAcrossAReattachThenEnds) {
  Serve(Behavior::kBreakAfterTwoThenResumeWithRepeat);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  std::unique_ptr<RunEventStream> events = client->WatchStream("r-1");
  std::vector<int64_t> delivered;
  v1::RunEvent event;
  for (int i = 0; i < 10 && events->Next(&event); ++i) delivered.push_back(event.sequence());
  EXPECT_THAT(delivered, ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(event.has_run_finished());
  EXPECT_TRUE(events->status().ok()) << events->status();
  EXPECT_FALSE(events->Next(&event));
  EXPECT_EQ(event.sequence(), 4);
  EXPECT_THAT(service_->after_sequences(), ElementsAre(0, 2));
}

TEST_F(ClientTest, WatchStreamStartsAfterTheGivenSequence) {
  Serve(Behavior::kServeAfterRequested);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  std::unique_ptr<RunEventStream> events = client->WatchStream("r-1", 3);
  v1::RunEvent event;
  ASSERT_TRUE(events->Next(&event)) << events->status();
  EXPECT_EQ(event.sequence(), 4);
  EXPECT_FALSE(events->Next(&event));
  EXPECT_TRUE(events->status().ok()) << events->status();
  EXPECT_THAT(service_->after_sequences(), ElementsAre(3));
}

TEST_F(ClientTest, WatchStreamEndsWithTheErrorWatchReturns) {
  Serve(Behavior::kNotFound);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  std::unique_ptr<RunEventStream> events = client->WatchStream("r-1");
  v1::RunEvent event;
  EXPECT_FALSE(events->Next(&event));
  EXPECT_EQ(events->status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(events->status().message(), HasSubstr("run r-1 does not exist"));
  EXPECT_FALSE(events->Next(&event));
  EXPECT_EQ(service_->after_sequences().size(), 1u);
}

TEST_F(ClientTest, DroppingAWatchStreamCancelsIt) {
  Serve(Behavior::kTwoThenHoldUntilStopped);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  std::unique_ptr<RunEventStream> events = client->WatchStream("r-1");
  v1::RunEvent event;
  ASSERT_TRUE(events->Next(&event)) << events->status();
  ASSERT_TRUE(events->Next(&event)) << events->status();
  ASSERT_TRUE(service_->AwaitHeld());
  events.reset();
  EXPECT_TRUE(service_->AwaitClientCancelled());
}

TEST_F(ClientTest, StreamEndingWithoutRunFinishedIsAnError) {
  absl::Status outcome = WatchOutcome(Behavior::kEndWithoutRunFinished);
  EXPECT_EQ(outcome.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(outcome.message(),
              HasSubstr("ended without run_finished (last sequence received: 1)"));
}

TEST_F(ClientTest, OtherWatchErrorsAreNotRetried) {
  absl::Status outcome = WatchOutcome(Behavior::kNotFound);
  EXPECT_EQ(outcome.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(outcome.message(), HasSubstr("run r-1 does not exist"));
  EXPECT_EQ(service_->after_sequences().size(), 1u);
}

TEST_F(ClientTest, SubmitDiagnosticsPassThroughUntouched) {
  Serve(Behavior::kNotFound);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  absl::StatusOr<std::string> run_id = client->Submit(v1::Workflow{}, ValueMap{});
  ASSERT_FALSE(run_id.ok());
  EXPECT_EQ(run_id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(run_id.status().message(),
            "node a: edges: cycle: a -> b -> a\nnode c: inputs.x: missing");
}

TEST_F(ClientTest, TheApiKeyGoesWithEveryCall) {
  Serve(Behavior::kRequireApiKey);
  std::unique_ptr<Client> client = ConnectOrDie(kApiKey);
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->Submit(v1::Workflow{}, ValueMap{}).ok());
  absl::StatusOr<v1::RunFinished> finished = client->Watch("r-1", 0, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  const std::string bearer = absl::StrCat("Bearer ", kApiKey);
  EXPECT_THAT(service_->authorizations(), ElementsAre(bearer, bearer));
}

TEST_F(ClientTest, WithoutAKeyNothingIsSentAndUnauthenticatedIsNotRetried) {
  Serve(Behavior::kRequireApiKey);
  std::unique_ptr<Client> client = ConnectOrDie();
  ASSERT_NE(client, nullptr);
  absl::StatusOr<v1::RunFinished> finished = client->Watch("r-1", 0, nullptr);
  ASSERT_FALSE(finished.ok());
  EXPECT_EQ(finished.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(finished.status().message(), HasSubstr("missing or unknown API key"));
  EXPECT_THAT(service_->authorizations(), ElementsAre(""));
}

// Connect refuses options that cannot work before dialling anything.
absl::Status ConnectError(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect("127.0.0.1:1", options);
  EXPECT_FALSE(client.ok());
  return client.status();
}

TEST(ClientConnectTest, AnUnreadableTlsFileIsNamed) {
  ClientOptions options;
  options.tls.enabled = true;
  options.tls.ca_file = "/nonexistent/ca.pem";
  absl::Status missing = ConnectError(options);
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(), HasSubstr("cannot read the TLS CA file /nonexistent/ca.pem"));

  const std::string not_pem = ::testing::TempDir() + "/client_test_not_a_ca.pem";
  { std::ofstream(not_pem) << "hello\n"; }
  options.tls.ca_file = not_pem;
  absl::Status garbage = ConnectError(options);
  EXPECT_EQ(garbage.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(garbage.message(),
              HasSubstr("the TLS CA file " + not_pem + " holds no PEM CERTIFICATE"));
}

TEST(ClientConnectTest, TlsOptionsWithTlsOffOrHalfAClientCertificateAreRefused) {
  ClientOptions off;
  off.tls.ca_file = "ca.pem";
  off.tls.server_name = "scheduler";
  EXPECT_THAT(ConnectError(off).message(),
              HasSubstr("TLS options ca_file, server_name given but tls.enabled is false"));
  ClientOptions half;
  half.tls.enabled = true;
  half.tls.cert_file = "client.pem";
  EXPECT_THAT(ConnectError(half).message(), HasSubstr("cert_file and key_file go together"));
}

TEST(ClientConnectTest, AnApiKeyGrpcCannotSendIsRefusedWithoutEchoingIt) {
  ClientOptions options;
  options.api_key = "secret with spaces";
  absl::Status refused = ConnectError(options);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.message(), HasSubstr("api_key holds whitespace"));
  EXPECT_THAT(refused.message(), Not(HasSubstr("secret")));
}

TEST(ClientConnectTest, NothingListeningIsUnavailableNamingTheAddress) {
  ClientOptions options;
  options.connect_timeout = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect("127.0.0.1:1", options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(client.status().message(), HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace flowgrid
