// The agent's stream protocol against an in-process fake scheduler, with a
// fake job runner (no processes).
#include "worker/agent/agent.h"

#include <poll.h>

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "flowgrid/v1/worker.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "absl/synchronization/notification.h"
#include "common/worker_stream.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/metrics_testing.h"

namespace flowgrid::agent {
namespace {

using ServerStream = grpc::ServerReaderWriter<v1::SchedulerMessage, v1::WorkerMessage>;

// Records what workers send; lets the test push messages and break the
// current stream.
class FakeScheduler final : public v1::WorkerService::Service {
 public:
  grpc::Status Connect(grpc::ServerContext* context, ServerStream* stream) override {
    {
      absl::MutexLock lock(&mu_);
      ++streams_;
      stream_ = stream;
      context_ = context;
      messages_.emplace_back();
    }
    v1::WorkerMessage message;
    bool accepted = false;
    while (stream->Read(&message)) {
      // As the scheduler does once it has the Hello (common/worker_stream.h).
      if (!accepted) {
        context->AddInitialMetadata(kWorkerAcceptedMetadata, "1");
        stream->SendInitialMetadata();
        accepted = true;
      }
      absl::MutexLock lock(&mu_);
      messages_.back().push_back(message);
    }
    absl::MutexLock lock(&mu_);
    stream_ = nullptr;
    context_ = nullptr;
    ++closed_streams_;
    return grpc::Status::OK;
  }

  void Send(const v1::SchedulerMessage& message) {
    absl::MutexLock lock(&mu_);
    ASSERT_NE(stream_, nullptr);
    stream_->Write(message);
  }
  void BreakStream() {
    absl::MutexLock lock(&mu_);
    ASSERT_NE(context_, nullptr);
    context_->TryCancel();
  }

  // Waits until stream `index` (0-based) has a message matching `pred`.
  template <typename Pred>
  std::optional<v1::WorkerMessage> WaitFor(size_t index, Pred pred) {
    absl::MutexLock lock(&mu_);
    std::optional<v1::WorkerMessage> found;
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      if (messages_.size() <= index) return false;
      for (const v1::WorkerMessage& m : messages_[index]) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(10));
    return found;
  }
  std::vector<v1::WorkerMessage> Messages(size_t index) {
    absl::MutexLock lock(&mu_);
    return messages_.size() > index ? messages_[index] : std::vector<v1::WorkerMessage>{};
  }
  bool WaitClosed(int count) {
    absl::MutexLock lock(&mu_);
    auto closed = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_streams_ >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&closed), absl::Seconds(10));
  }

 private:
  absl::Mutex mu_;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  int closed_streams_ ABSL_GUARDED_BY(mu_) = 0;
  ServerStream* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  grpc::ServerContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::vector<std::vector<v1::WorkerMessage>> messages_ ABSL_GUARDED_BY(mu_);
};

// Jobs named "block*" run until cancelled; others succeed with out=1.
v1::NodeResult FakeRun(const v1::Job& job, int cancel_fd) {
  v1::NodeResult result;
  if (job.job_id().rfind("block", 0) == 0) {
    struct pollfd fd = {cancel_fd, POLLIN, 0};
    ::poll(&fd, 1, 10000);
    result.set_status(v1::NODE_FAILED);
    result.mutable_error()->set_code(v1::CANCELLED);
    return result;
  }
  result.set_status(v1::NODE_SUCCEEDED);
  (*result.mutable_outputs())["out"].set_int_value(1);
  return result;
}

v1::SchedulerMessage JobMessage(const std::string& id, int attempt) {
  v1::SchedulerMessage message;
  message.mutable_job()->set_job_id(id);
  message.mutable_job()->set_attempt(attempt);
  message.mutable_job()->set_language(v1::CodeNode::PYTHON3);
  return message;
}

auto ResultFor(const std::string& id) {
  return [id](const v1::WorkerMessage& m) { return m.has_result() && m.result().job_id() == id; };
}

// Serves `scheduler` on a loopback port and points `options` at it; null
// if it cannot listen.
std::unique_ptr<grpc::Server> Serve(FakeScheduler& scheduler, AgentOptions& options) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&scheduler);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (port == 0) return nullptr;
  options.scheduler_address = "127.0.0.1:" + std::to_string(port);
  return server;
}

TEST(AgentTest, SpeaksTheStreamProtocol) {
  FakeScheduler scheduler;
  AgentOptions options;
  std::unique_ptr<grpc::Server> server = Serve(scheduler, options);
  ASSERT_NE(server, nullptr);
  options.worker_id = "test-worker";
  options.slots = 2;
  options.runtimes = {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT};
  options.version = "test";
  options.heartbeat_interval = absl::Milliseconds(50);
  options.reconnect_initial = absl::Milliseconds(20);
  options.reconnect_max = absl::Milliseconds(100);
  Agent agent(options, FakeRun);
  absl::Status run_status = absl::UnknownError("not returned");
  std::thread runner([&] { run_status = agent.Run(); });

  // Hello comes first and carries the initial credit.
  ASSERT_TRUE(scheduler.WaitFor(0, [](const v1::WorkerMessage& m) { return m.has_hello(); }));
  const v1::WorkerMessage first = scheduler.Messages(0).front();
  ASSERT_TRUE(first.has_hello());
  EXPECT_EQ(first.hello().worker_id(), "test-worker");
  EXPECT_EQ(first.hello().slots(), 2);
  ASSERT_EQ(first.hello().runtimes_size(), 2);
  EXPECT_EQ(first.hello().runtimes(0), v1::CodeNode::PYTHON3);
  EXPECT_EQ(first.hello().runtimes(1), v1::CodeNode::JAVASCRIPT);
  EXPECT_EQ(first.hello().version(), "test");

  // A job gets its result, with the attempt echoed.
  scheduler.Send(JobMessage("job-a", 3));
  std::optional<v1::WorkerMessage> result = scheduler.WaitFor(0, ResultFor("job-a"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->result().attempt(), 3);
  EXPECT_EQ(result->result().result().status(), v1::NODE_SUCCEEDED);

  // CancelJob ends a running job with CANCELLED.
  scheduler.Send(JobMessage("block-1", 1));
  v1::SchedulerMessage cancel;
  cancel.mutable_cancel()->set_job_id("block-1");
  scheduler.Send(cancel);
  result = scheduler.WaitFor(0, ResultFor("block-1"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->result().result().error().code(), v1::CANCELLED);

  // Heartbeats flow.
  EXPECT_TRUE(scheduler.WaitFor(0, [](const v1::WorkerMessage& m) { return m.has_heartbeat(); }));

  // A broken stream: the running job is killed and not reported on the new
  // stream, which starts with Hello again.
  scheduler.Send(JobMessage("block-2", 1));
  scheduler.BreakStream();
  ASSERT_TRUE(scheduler.WaitFor(1, [](const v1::WorkerMessage& m) { return m.has_hello(); }));
  EXPECT_TRUE(scheduler.Messages(1).front().has_hello());

  // Drain: Draining, then a clean half-close, then Run returns OK.
  agent.RequestDrain();
  EXPECT_TRUE(scheduler.WaitFor(1, [](const v1::WorkerMessage& m) { return m.has_draining(); }));
  EXPECT_TRUE(scheduler.WaitClosed(2));
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
  for (const v1::WorkerMessage& m : scheduler.Messages(1)) {
    EXPECT_FALSE(m.has_result() && m.result().job_id() == "block-2");
  }
  server->Shutdown();
}

// A stop signal that arrives while the worker is still starting (the drain
// may end before the first stream is open) still ends Run.
TEST(AgentTest, ADrainRequestedBeforeTheFirstStreamEndsRun) {
  for (int round = 0; round < 5; ++round) {
    FakeScheduler scheduler;
    AgentOptions options;
    std::unique_ptr<grpc::Server> server = Serve(scheduler, options);
    ASSERT_NE(server, nullptr);
    options.worker_id = "early-drain";
    options.slots = 1;
    options.runtimes = {v1::CodeNode::PYTHON3};
    options.heartbeat_interval = absl::Milliseconds(50);
    Agent agent(options, FakeRun);
    agent.RequestDrain();
    absl::Notification returned;
    std::thread runner([&] {
      EXPECT_TRUE(agent.Run().ok());
      returned.Notify();
    });
    EXPECT_TRUE(returned.WaitForNotificationWithTimeout(absl::Seconds(10))) << "round " << round;
    if (!returned.HasBeenNotified()) {
      // Let the blocked agent go so the test can end.
      server->Shutdown(std::chrono::system_clock::now());
    }
    runner.join();
    server->Shutdown();
  }
}

TEST(AgentTest, ADrainHeartbeatsAndHandsBackJobsStillRunningAtTheGraceEnd) {
  FakeScheduler scheduler;
  AgentOptions options;
  std::unique_ptr<grpc::Server> server = Serve(scheduler, options);
  ASSERT_NE(server, nullptr);
  options.worker_id = "draining-worker";
  options.heartbeat_interval = absl::Milliseconds(50);
  options.drain_grace = absl::Milliseconds(400);
  Agent agent(options, FakeRun);
  absl::Status run_status = absl::UnknownError("not returned");
  std::thread runner([&] { run_status = agent.Run(); });
  ASSERT_TRUE(scheduler.WaitFor(0, [](const v1::WorkerMessage& m) { return m.has_hello(); }));

  scheduler.Send(JobMessage("block-long", 1));
  v1::SchedulerMessage drain;
  drain.mutable_drain();
  scheduler.Send(drain);
  std::optional<v1::WorkerMessage> result = scheduler.WaitFor(0, ResultFor("block-long"));
  ASSERT_TRUE(result.has_value());
  // Killed by the drain, not cancelled by the scheduler: it must run again.
  EXPECT_EQ(result->result().result().error().code(), v1::WORKER_LOST);
  EXPECT_TRUE(scheduler.WaitClosed(1));
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;

  // The lease is kept alive during the drain: heartbeats come after
  // Draining and before the result.
  int heartbeats_while_draining = 0;
  bool draining = false;
  for (const v1::WorkerMessage& m : scheduler.Messages(0)) {
    if (m.has_draining()) draining = true;
    if (m.has_result()) break;
    if (draining && m.has_heartbeat()) ++heartbeats_while_draining;
  }
  EXPECT_GE(heartbeats_while_draining, 2);
  server->Shutdown();
}

// The states on_state_change reported, consecutive repeats folded.
class StateLog {
 public:
  void Record(const AgentState& state) {
    absl::MutexLock lock(&mu_);
    const std::pair<bool, bool> entry = {state.connected, state.draining};
    if (states_.empty() || states_.back() != entry) states_.push_back(entry);
  }
  // Waits until `count` states were reported; all of them.
  std::vector<std::pair<bool, bool>> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return states_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return states_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::pair<bool, bool>> states_ ABSL_GUARDED_BY(mu_);
};

TEST(AgentTest, ReportsItsStateAndRecordsItsMetrics) {
  FakeScheduler scheduler;
  AgentOptions options;
  std::unique_ptr<grpc::Server> server = Serve(scheduler, options);
  ASSERT_NE(server, nullptr);
  options.worker_id = "observed-worker";
  options.slots = 2;
  options.heartbeat_interval = absl::Milliseconds(50);
  options.drain_grace = absl::Milliseconds(300);
  options.reconnect_initial = absl::Milliseconds(20);
  options.reconnect_max = absl::Milliseconds(100);
  prometheus::Registry registry;
  metrics::WorkerMetrics worker_metrics(registry, options.slots);
  options.metrics = &worker_metrics;
  StateLog states;
  options.on_state_change = [&states](const AgentState& state) { states.Record(state); };
  Agent agent(options, FakeRun);
  absl::Status run_status = absl::UnknownError("not returned");
  std::thread runner([&] { run_status = agent.Run(); });

  // {connected, draining}: first disconnected, then connected.
  using States = std::vector<std::pair<bool, bool>>;
  EXPECT_EQ(states.WaitFor(2), (States{{false, false}, {true, false}}));
  EXPECT_EQ(metrics::GaugeValue(registry, "flowgrid_worker_connected"), 1);
  // The agent is connected once the fake scheduler accepted its Hello, so
  // it can send on the stream.
  auto hello = [](const v1::WorkerMessage& m) { return m.has_hello(); };
  ASSERT_TRUE(scheduler.WaitFor(0, hello));
  scheduler.Send(JobMessage("job-a", 1));
  ASSERT_TRUE(scheduler.WaitFor(0, ResultFor("job-a")));
  EXPECT_EQ(metrics::CounterValue(registry, "flowgrid_worker_jobs_total",
                                  {{"language", "python3"}, {"verdict", "ok"}}),
            1);

  // A break, then a reconnect.
  scheduler.BreakStream();
  EXPECT_EQ(states.WaitFor(4),
            (States{{false, false}, {true, false}, {false, false}, {true, false}}));
  EXPECT_GE(metrics::CounterValue(registry, "flowgrid_worker_reconnects_total"), 1);
  ASSERT_TRUE(scheduler.WaitFor(1, hello));

  // A drain whose grace ends with a job still running: it is reported (and
  // counted) WORKER_LOST; the stream closes while draining.
  scheduler.Send(JobMessage("block-1", 1));
  // Running before the drain (a job arriving while draining never runs).
  ASSERT_TRUE(scheduler.WaitFor(1, [](const v1::WorkerMessage& m) {
    return m.has_heartbeat() && m.heartbeat().running_jobs() == 1;
  }));
  agent.RequestDrain();
  EXPECT_EQ(states.WaitFor(5).back(), (std::pair{true, true}));
  EXPECT_EQ(metrics::GaugeValue(registry, "flowgrid_worker_draining"), 1);
  ASSERT_TRUE(scheduler.WaitFor(1, ResultFor("block-1")));
  runner.join();
  EXPECT_TRUE(run_status.ok()) << run_status;
  EXPECT_EQ(states.WaitFor(6).back(), (std::pair{false, true}));
  EXPECT_EQ(metrics::GaugeValue(registry, "flowgrid_worker_connected"), 0);
  EXPECT_EQ(metrics::CounterValue(registry, "flowgrid_worker_jobs_total",
                                  {{"language", "python3"}, {"verdict", "worker_lost"}}),
            1);
  server->Shutdown();
}

}  // namespace
}  // namespace flowgrid::agent
