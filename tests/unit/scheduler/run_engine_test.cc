#include "scheduler/engine/run_engine.h"

#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/value_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "scheduler/store/sqlite_run_store.h"
#include "tests/unit/scheduler/gated_store.h"
#include "tests/unit/scheduler/metric_value.h"
#include "tests/unit/scheduler/run_driver.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::engine {
namespace {

using ::testing::HasSubstr;
using flowgrid::testing::Json;
using flowgrid::testing::MetricValue;
using flowgrid::testing::WorkflowBuilder;

// A worker registered straight with the engine's dispatcher: it records
// the jobs pushed to it, and the test answers them. Unless told otherwise,
// it passes code checks (CHECK_CODE) by itself, from a thread of its own,
// since Submit waits for them.
class FakeWorker {
 public:
  FakeWorker(RunEngine& engine, int slots, bool pass_code_checks = true)
      : engine_(engine), pass_code_checks_(pass_code_checks) {
    handle_ = engine.dispatcher().AddWorker("fake", slots, {v1::CodeNode::PYTHON3},
                                            [this](const v1::SchedulerMessage& m) {
                                              absl::MutexLock lock(&mu_);
                                              if (!m.has_job()) return;
                                              bool check = m.job().kind() == v1::Job::CHECK_CODE;
                                              (check && pass_code_checks_ ? checks_ : jobs_)
                                                  .push_back(m.job());
                                            });
    checker_ = std::thread([this] { PassChecks(); });
  }
  ~FakeWorker() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    checker_.join();
    engine_.dispatcher().RemoveWorker(handle_);
  }

  // Waits (bounded) for the next job pushed to this worker.
  v1::Job NextJob() {
    absl::MutexLock lock(&mu_);
    auto has_job = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !jobs_.empty(); };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&has_job), absl::Seconds(10)))
        << "no job arrived";
    if (jobs_.empty()) return v1::Job();
    v1::Job job = jobs_.front();
    jobs_.erase(jobs_.begin());
    return job;
  }

  // Jobs pushed and not taken by NextJob yet.
  size_t Waiting() {
    absl::MutexLock lock(&mu_);
    return jobs_.size();
  }

  void Answer(const v1::Job& job, v1::NodeResult result) {
    v1::JobResult message;
    message.set_job_id(job.job_id());
    message.set_attempt(job.attempt());
    *message.mutable_result() = std::move(result);
    engine_.dispatcher().OnResult(handle_, message);
  }
  void Succeed(const v1::Job& job, const char* outputs) {
    v1::NodeResult r;
    r.set_status(v1::NODE_SUCCEEDED);
    *r.mutable_outputs() = Json(outputs);
    Answer(job, r);
  }
  void Fail(const v1::Job& job, v1::ErrorCode code, const std::string& message) {
    v1::NodeResult r;
    r.set_status(v1::NODE_FAILED);
    r.mutable_error()->set_code(code);
    r.mutable_error()->set_message(message);
    Answer(job, r);
  }

 private:
  void PassChecks() {
    absl::MutexLock lock(&mu_);
    while (true) {
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_ || !checks_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      v1::Job check = checks_.front();
      checks_.erase(checks_.begin());
      mu_.Unlock();
      v1::NodeResult ok;
      ok.set_status(v1::NODE_SUCCEEDED);
      Answer(check, ok);
      mu_.Lock();
    }
  }

  RunEngine& engine_;
  const bool pass_code_checks_;
  int64_t handle_;
  absl::Mutex mu_;
  std::vector<v1::Job> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::Job> checks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread checker_;
};

class RunEngineTest : public ::testing::Test {
 protected:
  RunEngineTest() : store_(*store::SqliteRunStore::Open(":memory:")) {}

  std::unique_ptr<RunEngine> MakeEngine(EngineOptions options = DefaultEngineOptions()) {
    return std::make_unique<RunEngine>(store_.get(), options);
  }

  // Waits (bounded) until the run is finished in the store.
  v1::Run AwaitFinished(const std::string& run_id) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      absl::StatusOr<v1::Run> run = store_->GetRun(run_id);
      if (run.ok() && run->status() != v1::RUN_RUNNING) return *run;
      absl::SleepFor(absl::Milliseconds(5));
    }
    ADD_FAILURE() << "run " << run_id << " did not finish";
    return v1::Run();
  }

  static v1::Workflow OneCode(int retries = 0, int interval_ms = 0) {
    return WorkflowBuilder()
        .Start("start", {"name"})
        .Code("greet", {{"name", "start.name"}}, {"greeting"}).Retry(retries, interval_ms)
        .End("end", {{"greeting", "greet.greeting"}})
        .Edge("start", "greet").Edge("greet", "end").Build();
  }

  std::unique_ptr<store::SqliteRunStore> store_;
};

TEST_F(RunEngineTest, RunGoesThroughTheDispatcherAndIsStored) {
  auto engine = MakeEngine();
  FakeWorker worker(*engine, 1);
  absl::StatusOr<SubmitResult> submitted =
      engine->Submit(OneCode(), Json(R"({"name":"Ada"})"), Json(R"({"user_id":"u1"})"), "");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  v1::Job job = worker.NextJob();
  EXPECT_EQ(job.kind(), v1::Job::RUN_CODE);
  EXPECT_EQ(job.inputs().at("name").string_value(), "Ada");
  EXPECT_EQ(job.limits().timeout_ms(), 10000);
  EXPECT_EQ(job.output_limits().max_array_length(), 30);
  ASSERT_NE(engine->ActiveLog(submitted->run_id), nullptr);
  worker.Succeed(job, R"({"greeting":"Hello, Ada!"})");
  v1::Run run = AwaitFinished(submitted->run_id);
  EXPECT_EQ(run.status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(run.outputs().at("greeting").string_value(), "Hello, Ada!");
  EXPECT_EQ(run.nodes_size(), 3);
  engine->Flush();  // the log is forgotten once run_finished is published
  EXPECT_EQ(engine->ActiveLog(submitted->run_id), nullptr);
}

TEST_F(RunEngineTest, RunsAndRetriesAreCountedFromSubmissionToTheirFinalStatus) {
  prometheus::Registry registry;
  metrics::SchedulerMetrics metrics(registry);
  RunEngine engine(store_.get(), DefaultEngineOptions(), &metrics);
  FakeWorker worker(engine, 1);
  auto submitted = engine.Submit(OneCode(1, 0), Json(R"({"name":"a"})"), {}, "key");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  ASSERT_TRUE(engine.Submit(OneCode(1, 0), Json(R"({"name":"a"})"), {}, "key").ok());
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_submitted_total"), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_active"), 1);
  worker.Fail(worker.NextJob(), v1::RUNTIME_ERROR, "first");
  worker.Succeed(worker.NextJob(), R"({"greeting":"ok"})");
  EXPECT_EQ(AwaitFinished(submitted->run_id).status(), v1::RUN_SUCCEEDED);
  engine.Flush();
  EXPECT_EQ(MetricValue(registry, "flowgrid_node_retries_total"), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_finished_total", {{"status", "succeeded"}}), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_finished_total", {{"status", "failed"}}), 0);
  EXPECT_EQ(MetricValue(registry, "flowgrid_run_duration_seconds"), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_active"), 0);
  EXPECT_GE(MetricValue(registry, "flowgrid_store_write_duration_seconds"), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_store_write_errors_total"), 0);
}

TEST_F(RunEngineTest, RefusedSubmissionsAreCountedByReason) {
  prometheus::Registry registry;
  metrics::SchedulerMetrics metrics(registry);
  EngineOptions options = DefaultEngineOptions();
  options.admission.max_active_runs = 1;
  RunEngine engine(store_.get(), options, &metrics);
  // No worker: the run waits for one, and code checks are skipped.
  auto first = engine.Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(engine.Submit(OneCode(), Json(R"({"name":"b"})"), {}, "").status().code(),
            absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(engine.Cancel(first->run_id).ok());
  EXPECT_EQ(engine.Submit(v1::Workflow(), {}, {}, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine.Submit(OneCode(), Json(R"({"other":"c"})"), {}, "").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricValue(registry, "flowgrid_submissions_rejected_total",
                        {{"reason", "overloaded"}}),
            1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_submissions_rejected_total", {{"reason", "invalid"}}),
            2);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_submitted_total"), 1);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_finished_total", {{"status", "cancelled"}}), 1);
}

TEST(RunEngineDurability, RunFinishedIsPublishedOnlyOnceDurable) {
  std::unique_ptr<flowgrid::testing::GatedStore> store = flowgrid::testing::GatedStore::Open();
  auto engine = std::make_unique<RunEngine>(store.get(), DefaultEngineOptions());
  FakeWorker worker(*engine, 1);
  absl::StatusOr<SubmitResult> submitted = engine->Submit(
      WorkflowBuilder()
          .Start("start", {"name"})
          .Code("greet", {{"name", "start.name"}}, {"greeting"})
          .End("end", {{"greeting", "greet.greeting"}})
          .Edge("start", "greet").Edge("greet", "end").Build(),
      Json(R"({"name":"Ada"})"), {}, "");
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  // Submit returned: the run's record is durable.
  EXPECT_EQ(store->inner().GetRun(submitted->run_id)->status(), v1::RUN_RUNNING);
  std::shared_ptr<RunEventLog> log = engine->ActiveLog(submitted->run_id);
  ASSERT_NE(log, nullptr);
  v1::Job job = worker.NextJob();

  store->Hold();
  // The result's thread commits the step itself, so it blocks on the store.
  std::thread answer([&] { worker.Succeed(job, R"({"greeting":"hi"})"); });
  ASSERT_TRUE(store->AwaitBlockedWrite());
  // The run is over in the engine, but its end is not durable yet: watchers
  // must not see it, and a new watcher still finds the live log.
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(log->finished());
  EXPECT_EQ(engine->ActiveLog(submitted->run_id), log);

  store->Release();
  answer.join();
  bool finished_seen = false;
  for (int i = 0; i < 100 && !finished_seen; ++i) {
    for (const v1::RunEvent& event : log->WaitAfter(0, absl::Milliseconds(100))) {
      if (!event.has_run_finished()) continue;
      finished_seen = true;
      // What the watcher is shown is in the store already.
      EXPECT_EQ(store->inner().GetRun(submitted->run_id)->status(), v1::RUN_SUCCEEDED);
    }
  }
  EXPECT_TRUE(finished_seen);
}

TEST_F(RunEngineTest, IdempotencyKeyReturnsTheSameRun) {
  auto engine = MakeEngine();
  auto first = engine->Submit(OneCode(), Json(R"({"name":"a"})"), {}, "key-1");
  auto second = engine->Submit(OneCode(), Json(R"({"name":"b"})"), {}, "key-1");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->run_id, second->run_id);
  EXPECT_FALSE(first->existing);
  EXPECT_TRUE(second->existing);
}

TEST_F(RunEngineTest, RetryIntervalIsWaitedThroughTheTimerQueue) {
  auto engine = MakeEngine();
  FakeWorker worker(*engine, 1);
  auto submitted = engine->Submit(OneCode(1, 200), Json(R"({"name":"a"})"), {}, "");
  ASSERT_TRUE(submitted.ok());
  worker.Fail(worker.NextJob(), v1::RUNTIME_ERROR, "first");
  absl::Time failed_at = absl::Now();
  v1::Job retry = worker.NextJob();
  EXPECT_GE(absl::Now() - failed_at, absl::Milliseconds(150));
  EXPECT_THAT(retry.job_id(), ::testing::EndsWith("/2"));
  worker.Succeed(retry, R"({"greeting":"ok"})");
  EXPECT_EQ(AwaitFinished(submitted->run_id).status(), v1::RUN_SUCCEEDED);
}

TEST_F(RunEngineTest, RunPastItsMaximumRunTimeFailsWithTimeout) {
  EngineOptions options = DefaultEngineOptions();
  options.max_run_time = absl::Milliseconds(100);
  auto engine = MakeEngine(options);
  FakeWorker worker(*engine, 1);
  auto submitted = engine->Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
  ASSERT_TRUE(submitted.ok());
  v1::Job never_answered = worker.NextJob();
  v1::Run run = AwaitFinished(submitted->run_id);
  EXPECT_EQ(run.status(), v1::RUN_FAILED);
  EXPECT_EQ(run.error().code(), v1::TIMEOUT);
  EXPECT_EQ(run.error().message(), "the run exceeded its maximum run time of 100ms");
  // A late result changes nothing.
  worker.Succeed(never_answered, R"({"greeting":"late"})");
  EXPECT_EQ(store_->GetRun(submitted->run_id)->status(), v1::RUN_FAILED);
}

TEST_F(RunEngineTest, CancelStopsTheRunAndItsJob) {
  auto engine = MakeEngine();
  FakeWorker worker(*engine, 1);
  auto submitted = engine->Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
  ASSERT_TRUE(submitted.ok());
  v1::Job job = worker.NextJob();
  ASSERT_TRUE(engine->Cancel(submitted->run_id).ok());
  EXPECT_EQ(AwaitFinished(submitted->run_id).status(), v1::RUN_CANCELLED);
  EXPECT_EQ(engine->Cancel(submitted->run_id).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->dispatcher().stats().running, 1);  // until the worker reports
  worker.Fail(job, v1::CANCELLED, "cancelled");
  EXPECT_EQ(engine->dispatcher().stats().running, 0);
}

TEST_F(RunEngineTest, CodeChecksRejectCodeThatDoesNotCompileAndAreCached) {
  auto engine = MakeEngine();
  FakeWorker worker(*engine, 1, /*pass_code_checks=*/false);
  std::thread answer([&] {
    v1::Job check = worker.NextJob();
    EXPECT_EQ(check.kind(), v1::Job::CHECK_CODE);
    EXPECT_TRUE(check.inputs().contains("name"));
    worker.Fail(check, v1::COMPILE_ERROR, "SyntaxError: invalid syntax (line 2)");
  });
  Validation first = engine->Validate(OneCode());
  answer.join();
  ASSERT_EQ(first.diagnostics.size(), 1u);
  EXPECT_EQ(graph::FormatDiagnostic(first.diagnostics[0]),
            "node greet: code.code: SyntaxError: invalid syntax (line 2)");
  // Cached: no second check job, same answer, also on submit.
  auto submitted = engine->Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
  ASSERT_FALSE(submitted.ok());
  EXPECT_THAT(submitted.status().message(), HasSubstr("SyntaxError: invalid syntax (line 2)"));
}

TEST_F(RunEngineTest, ConcurrentChecksOfTheSameCodeShareOneJob) {
  auto engine = MakeEngine();
  FakeWorker worker(*engine, 2, /*pass_code_checks=*/false);
  Validation first;
  std::thread first_call([&] { first = engine->Validate(OneCode()); });
  v1::Job check = worker.NextJob();
  ASSERT_EQ(check.kind(), v1::Job::CHECK_CODE);
  Validation second;
  std::thread second_call([&] { second = engine->Validate(OneCode()); });
  // Gives the second call time to find the check in flight; had it started
  // a check of its own, that job would be waiting now.
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(worker.Waiting(), 0u);
  worker.Fail(check, v1::COMPILE_ERROR, "SyntaxError: invalid syntax (line 2)");
  first_call.join();
  second_call.join();
  for (const Validation* v : {&first, &second}) {
    ASSERT_EQ(v->diagnostics.size(), 1u);
    EXPECT_EQ(graph::FormatDiagnostic(v->diagnostics[0]),
              "node greet: code.code: SyntaxError: invalid syntax (line 2)");
  }
}

TEST_F(RunEngineTest, CodeWhoseCheckGotNoAnswerIsNotCheckedAgainAtOnce) {
  EngineOptions options = DefaultEngineOptions();
  options.code_check_budget = absl::Milliseconds(100);
  auto engine = MakeEngine(options);
  // Two slots, so that a second check would not wait behind the first.
  FakeWorker worker(*engine, 2, /*pass_code_checks=*/false);
  // The worker never answers: the check is skipped after the budget...
  EXPECT_TRUE(engine->Validate(OneCode()).diagnostics.empty());
  EXPECT_EQ(worker.NextJob().kind(), v1::Job::CHECK_CODE);
  // ...and the next submission of that code does not wait for another.
  EXPECT_TRUE(engine->Validate(OneCode()).diagnostics.empty());
  EXPECT_EQ(worker.Waiting(), 0u);
}

TEST_F(RunEngineTest, CodeChecksAreSkippedWithoutWorkers) {
  auto engine = MakeEngine();
  Validation validation = engine->Validate(OneCode());
  EXPECT_TRUE(validation.diagnostics.empty());
  EXPECT_THAT(validation.order, ::testing::ElementsAre("start", "greet", "end"));
}

TEST_F(RunEngineTest, RunNodeEvaluatesIfElseInPlaceAndCodeOnAWorker) {
  auto engine = MakeEngine();
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(R"json({
    "nodes": [
      {"id": "start", "start": {"variables": [{"name": "n", "type": {"kind": "NUMBER"}}]}},
      {"id": "check", "if_else": {"cases": [{"case_id": "big", "conditions": [
        {"selector": ["start", "n"], "comparison_operator": ">", "value": {"int_value": 10}}]}]}},
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "check"}, {"source": "check", "source_handle": "big", "target": "end"},
              {"source": "check", "source_handle": "false", "target": "end"}]})json");
  ASSERT_TRUE(wf.ok()) << wf.status();
  v1::RunNodeRequest request;
  *request.mutable_workflow() = *wf;
  request.set_node_id("check");
  (*request.mutable_inputs())["start.n"] = IntValue(42);
  absl::StatusOr<v1::RunNodeResponse> branch = engine->RunNode(request);
  ASSERT_TRUE(branch.ok()) << branch.status();
  EXPECT_EQ(branch->branch(), "big");

  request.set_node_id("nope");
  EXPECT_EQ(engine->RunNode(request).status().code(), absl::StatusCode::kNotFound);
  request.set_node_id("end");
  EXPECT_THAT(engine->RunNode(request).status().message(), HasSubstr("cannot run alone"));

  FakeWorker worker(*engine, 1);
  v1::RunNodeRequest code;
  *code.mutable_workflow() = OneCode();
  code.set_node_id("greet");
  (*code.mutable_inputs())["name"] = StringValue("Ada");
  std::thread answer([&] {
    v1::Job job = worker.NextJob();
    EXPECT_EQ(job.inputs().at("name").string_value(), "Ada");
    worker.Succeed(job, R"({"greeting":"hi"})");
  });
  absl::StatusOr<v1::RunNodeResponse> ran = engine->RunNode(code);
  answer.join();
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(ran->result().outputs().at("greeting").string_value(), "hi");

  (*code.mutable_inputs())["typo"] = StringValue("x");
  EXPECT_EQ(engine->RunNode(code).status().message(), "node greet has no input \"typo\"");
}

// start → a → b → end; b reads a system value.
v1::Workflow TwoSteps() {
  return WorkflowBuilder()
      .Start("start", {"name"})
      .Code("a", {{"name", "start.name"}}, {"v"})
      .Code("b", {{"v", "a.v"}, {"user", "sys.user_id"}}, {"v"})
      .End("end", {{"v", "b.v"}})
      .Edge("start", "a").Edge("a", "b").Edge("b", "end").Build();
}

TEST_F(RunEngineTest, UnfinishedRunResumesFromItsPersistedEvents) {
  std::string run_id;
  v1::Job lost;
  {
    auto engine = MakeEngine();
    FakeWorker worker(*engine, 2);
    absl::StatusOr<SubmitResult> submitted =
        engine->Submit(TwoSteps(), Json(R"({"name":"Ada"})"), Json(R"({"user_id":"u7"})"), "");
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    run_id = submitted->run_id;
    worker.Succeed(worker.NextJob(), R"({"v":"A"})");
    lost = worker.NextJob();  // b, in flight when the scheduler stops
    EXPECT_EQ(lost.inputs().at("user").string_value(), "u7");
    engine->Flush();
  }
  auto restarted = MakeEngine();
  ASSERT_TRUE(restarted->RecoverUnfinishedRuns().ok());
  std::shared_ptr<RunEventLog> log = restarted->ActiveLog(run_id);
  ASSERT_NE(log, nullptr);
  FakeWorker worker(*restarted, 2);
  v1::Job again = worker.NextJob();
  EXPECT_NE(again.job_id(), lost.job_id()) << "a new attempt";
  EXPECT_EQ(again.inputs().at("v").string_value(), "A");
  EXPECT_EQ(again.inputs().at("user").string_value(), "u7") << "system values are restored";
  // A result under the lost attempt's job id is not this worker's: dropped.
  worker.Succeed(lost, R"({"v":"stale"})");
  worker.Succeed(again, R"({"v":"B"})");
  v1::Run run = AwaitFinished(run_id);
  EXPECT_EQ(run.status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(run.outputs().at("v").string_value(), "B");

  absl::StatusOr<std::vector<v1::RunEvent>> events = store_->ReadEvents(run_id, 0);
  ASSERT_TRUE(events.ok());
  std::map<std::string, int> finished;
  int resumed = 0;
  for (size_t i = 0; i < events->size(); ++i) {
    const v1::RunEvent& e = (*events)[i];
    EXPECT_EQ(e.sequence(), static_cast<int64_t>(i) + 1);
    if (e.has_node_finished()) ++finished[e.node_finished().node_id()];
    if (e.has_run_resumed()) {
      ++resumed;
      EXPECT_EQ(e.run_resumed().after_sequence(), e.sequence() - 1);
    }
  }
  EXPECT_EQ(resumed, 1);
  EXPECT_EQ(finished, (std::map<std::string, int>{{"start", 1}, {"a", 1}, {"b", 1}, {"end", 1}}));
  // A watcher of the resumed run reads its whole history.
  std::vector<v1::RunEvent> watched = log->WaitAfter(0, absl::Seconds(1));
  ASSERT_EQ(watched.size(), events->size());
  EXPECT_EQ(watched.front().sequence(), 1);
}

TEST_F(RunEngineTest, ResumedRunPastItsDeadlineFailsWithTheDeadlineError) {
  std::string run_id;
  {
    auto engine = MakeEngine();
    FakeWorker worker(*engine, 1);
    absl::StatusOr<SubmitResult> submitted =
        engine->Submit(OneCode(), Json(R"({"name":"a"})"), {}, "");
    ASSERT_TRUE(submitted.ok()) << submitted.status();
    run_id = submitted->run_id;
    engine->Flush();
  }
  EngineOptions options = DefaultEngineOptions();
  options.max_run_time = absl::Milliseconds(1);  // counted from the run's creation
  auto restarted = MakeEngine(options);
  ASSERT_TRUE(restarted->RecoverUnfinishedRuns().ok());
  v1::Run run = AwaitFinished(run_id);
  EXPECT_EQ(run.status(), v1::RUN_FAILED);
  EXPECT_EQ(run.error().code(), v1::TIMEOUT);
  EXPECT_THAT(run.error().message(), HasSubstr("maximum run time"));
}

TEST_F(RunEngineTest, RunThatCannotBeRebuiltFailsSayingWhy) {
  store::NewRun broken;
  broken.run_id = "broken";
  broken.workflow = OneCode();
  broken.workflow.mutable_edges(0)->set_target("nowhere");
  broken.created_at = absl::Now() - absl::Minutes(1);
  ASSERT_TRUE(store_->CreateRun(broken).ok());
  prometheus::Registry registry;
  metrics::SchedulerMetrics metrics(registry);
  RunEngine engine(store_.get(), DefaultEngineOptions(), &metrics);
  ASSERT_TRUE(engine.RecoverUnfinishedRuns().ok());
  absl::StatusOr<v1::Run> run = store_->GetRun("broken");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->status(), v1::RUN_FAILED);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_finished_total", {{"status", "failed"}}), 1);
  EXPECT_GE(MetricValue(registry, "flowgrid_run_duration_seconds", {}, /*sum=*/true), 60);
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_active"), 0);
  EXPECT_THAT(run->error().message(), HasSubstr("cannot resume it: its workflow no longer compiles"));
  EXPECT_THAT(run->error().message(), HasSubstr("nowhere"));
}

}  // namespace
}  // namespace flowgrid::engine
