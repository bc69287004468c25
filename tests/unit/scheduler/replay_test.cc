#include "scheduler/run/replay.h"

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/unit/scheduler/run_driver.h"

namespace flowgrid::run {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using flowgrid::testing::CompileJson;
using flowgrid::testing::Json;

// Every kind of node: code with an immediate retry (double), if-else with
// its branches (on_big has a retry interval, so a timer), an aggregator, a
// template, fail-branch (risky → rescue), a parallel iteration, a loop
// with an assigner, default-value (fallback) and an answer.
constexpr const char* kEveryKind = R"json({
  "nodes": [
    {"id": "start", "start": {"variables": [{"name": "n", "type": {"kind": "NUMBER"}},
                                            {"name": "xs", "type": {"kind": "ARRAY_NUMBER"}}]}},
    {"id": "double", "retry": {"max_retries": 2},
     "code": {"language": "PYTHON3", "code": "def main(x): pass",
              "inputs": [{"name": "x", "selector": ["start", "n"]}], "outputs": {"v": {"kind": "NUMBER"}}}},
    {"id": "check", "if_else": {"cases": [
      {"case_id": "big", "conditions": [{"selector": ["double", "v"], "comparison_operator": ">", "value": {"int_value": 10}}]}]}},
    {"id": "on_big", "retry": {"max_retries": 1, "interval_ms": 50},
     "code": {"language": "PYTHON3", "code": "def main(v): pass",
              "inputs": [{"name": "v", "selector": ["double", "v"]}], "outputs": {"label": {"kind": "STRING"}}}},
    {"id": "on_small", "code": {"language": "PYTHON3", "code": "def main(v): pass",
              "inputs": [{"name": "v", "selector": ["double", "v"]}], "outputs": {"label": {"kind": "STRING"}}}},
    {"id": "merge", "variable_aggregator": {"variables": [
      {"selector": ["on_big", "label"]}, {"selector": ["on_small", "label"]}], "output_type": {"kind": "STRING"}}},
    {"id": "t", "template": {"template": "{{ label }}!", "variables": [{"name": "label", "selector": ["merge", "output"]}]}},
    {"id": "risky", "error_strategy": {"kind": "FAIL_BRANCH"},
     "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"ok": {"kind": "STRING"}}}},
    {"id": "rescue", "code": {"language": "PYTHON3", "code": "def main(why): pass",
              "inputs": [{"name": "why", "selector": ["risky", "error_message"]}], "outputs": {"r": {"kind": "STRING"}}}},
    {"id": "each", "iteration": {
      "iterator_selector": ["start", "xs"], "output_selector": ["square", "y"], "parallel": true, "parallel_nums": 2,
      "nodes": [{"id": "square", "code": {"language": "PYTHON3", "code": "def main(x): pass",
                 "inputs": [{"name": "x", "selector": ["each", "item"]}], "outputs": {"y": {"kind": "NUMBER"}}}}],
      "edges": [{"source": "each", "target": "square"}]}},
    {"id": "count", "loop": {
      "loop_count": 10,
      "loop_variables": [{"name": "total", "type": {"kind": "NUMBER"}, "value": {"int_value": 0}},
                         {"name": "seen", "type": {"kind": "ARRAY_NUMBER"}, "value": {"list_value": {}}}],
      "break_conditions": [{"selector": ["count", "total"], "comparison_operator": "≥", "value": {"int_value": 3}}],
      "nodes": [
        {"id": "step", "code": {"language": "PYTHON3", "code": "def main(t): pass",
          "inputs": [{"name": "t", "selector": ["count", "total"]}], "outputs": {"add": {"kind": "NUMBER"}}}},
        {"id": "bump", "assigner": {"items": [
          {"variable_selector": ["count", "total"], "operation": "+=", "value_selector": ["step", "add"]},
          {"variable_selector": ["count", "seen"], "operation": "append", "value_selector": ["count", "total"]}]}}],
      "edges": [{"source": "count", "target": "step"}, {"source": "step", "target": "bump"}]}},
    {"id": "fallback", "error_strategy": {"kind": "DEFAULT_VALUE", "defaults": {"v": {"int_value": 7}}},
     "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"v": {"kind": "NUMBER"}}}},
    {"id": "say", "answer": {"answer": "{{#t.output#}}"}},
    {"id": "end", "end": {"outputs": [
      {"name": "label", "selector": ["merge", "output"]}, {"name": "text", "selector": ["t", "output"]},
      {"name": "rescued", "selector": ["rescue", "r"]}, {"name": "squares", "selector": ["each", "output"]},
      {"name": "total", "selector": ["count", "total"]}, {"name": "seen", "selector": ["count", "seen"]},
      {"name": "fallback", "selector": ["fallback", "v"]}, {"name": "said", "selector": ["say", "answer"]}]}}
  ],
  "edges": [
    {"source": "start", "target": "double"}, {"source": "double", "target": "check"},
    {"source": "check", "source_handle": "big", "target": "on_big"},
    {"source": "check", "source_handle": "false", "target": "on_small"},
    {"source": "on_big", "target": "merge"}, {"source": "on_small", "target": "merge"},
    {"source": "merge", "target": "t"}, {"source": "t", "target": "risky"},
    {"source": "risky", "source_handle": "success-branch", "target": "each"},
    {"source": "risky", "source_handle": "fail-branch", "target": "rescue"},
    {"source": "rescue", "target": "each"},
    {"source": "each", "target": "count"}, {"source": "count", "target": "fallback"},
    {"source": "fallback", "target": "say"}, {"source": "say", "target": "end"}
  ]})json";

// "node" at the top level, "it[2]/node" inside rounds.
std::string LabelOf(const std::string& node_id, const v1::NodeScope& scope) {
  std::string label;
  for (const auto& level : scope.levels()) absl::StrAppend(&label, level.node_id(), "[", level.index(), "]/");
  return label + node_id;
}

std::string LabelOf(const v1::RunEvent& event) {
  if (event.has_node_started()) return LabelOf(event.node_started().node_id(), event.node_started().scope());
  if (event.has_node_finished()) return LabelOf(event.node_finished().node_id(), event.node_finished().scope());
  if (event.has_node_retry()) return LabelOf(event.node_retry().node_id(), event.node_retry().scope());
  return "";
}

// Drives an Execution to its end as the engine and a deterministic fake
// worker would: events are stamped with consecutive sequence numbers, jobs
// are answered first in, first out, and timers fire when no job is left.
class Harness {
 public:
  Harness(Execution& execution, std::vector<v1::RunEvent> log = {})
      : execution_(execution), log_(std::move(log)) {}

  void Take(Step step) {
    for (const JobRef& ref : step.cancelled_jobs) {
      std::erase_if(jobs_, [&](const JobRequest& j) { return j.task == ref.task && j.attempt == ref.attempt; });
    }
    for (JobRequest& job : step.jobs) jobs_.push_back(std::move(job));
    for (const TimerRequest& timer : step.timers) timers_.push_back(timer.timer);
    for (v1::RunEvent& event : step.events) {
      event.set_sequence(static_cast<int64_t>(log_.size()) + 1);
      log_.push_back(std::move(event));
    }
  }

  void RunToEnd() {
    for (int guard = 0; guard < 10000 && !execution_.finished(); ++guard) {
      if (!jobs_.empty()) {
        JobRequest job = jobs_.front();
        jobs_.pop_front();
        Take(execution_.OnJobFinished({job.task, job.attempt}, Work(job)));
      } else if (!timers_.empty()) {
        int timer = timers_.front();
        timers_.pop_front();
        Take(execution_.OnTimer(timer));
      } else {
        ADD_FAILURE() << "the run waits for nothing but has not finished";
        return;
      }
    }
  }

  const std::vector<v1::RunEvent>& log() const { return log_; }
  const std::deque<JobRequest>& jobs() const { return jobs_; }

 private:
  int Failures(const std::string& label) const {
    int failures = 0;
    for (const v1::RunEvent& e : log_) failures += e.has_node_retry() && LabelOf(e) == label;
    return failures;
  }

  // The fake worker: outputs follow from the node and its inputs; double
  // and on_big fail once (the history says whether they did already),
  // risky and fallback always fail.
  v1::NodeResult Work(const JobRequest& job) const {
    TaskPlace place = execution_.PlaceOf(job.task);
    const std::string id = execution_.plan().node(place.node).id();
    const std::string label = LabelOf(id, place.scope);
    v1::NodeResult r;
    r.set_status(v1::NODE_SUCCEEDED);
    auto fail = [&](const std::string& message) {
      r.set_status(v1::NODE_FAILED);
      r.mutable_error()->set_code(v1::RUNTIME_ERROR);
      r.mutable_error()->set_message(message);
      return r;
    };
    auto out = [&](const std::string& name, v1::Value value) {
      (*r.mutable_outputs())[name] = std::move(value);
      return r;
    };
    auto in = [&](const std::string& name) { return job.inputs.at(name); };
    if (id == "double") {
      if (Failures(label) < 1) return fail("flaky double");
      return out("v", IntValue(in("x").int_value() * 2));
    }
    if (id == "on_big") {
      if (Failures(label) < 1) return fail("flaky on_big");
      return out("label", StringValue(absl::StrCat("big:", in("v").int_value())));
    }
    if (id == "on_small") return out("label", StringValue(absl::StrCat("small:", in("v").int_value())));
    if (id == "t") return out("output", StringValue(in("label").string_value() + "!"));
    if (id == "risky" || id == "fallback") return fail(id + " always fails");
    if (id == "rescue") return out("r", StringValue("rescued from " + in("why").string_value()));
    if (id == "square") return out("y", IntValue(in("x").int_value() * in("x").int_value()));
    if (id == "step") return out("add", IntValue(1));
    ADD_FAILURE() << "unexpected job of " << id;
    return fail("unexpected");
  }

  Execution& execution_;
  std::vector<v1::RunEvent> log_;
  std::deque<JobRequest> jobs_;
  std::deque<int> timers_;
};

v1::RunResumed ResumedAfter(const std::vector<v1::RunEvent>& history) {
  v1::RunResumed resumed;
  resumed.set_after_sequence(history.empty() ? 0 : history.back().sequence());
  resumed.set_reason("test restart");
  return resumed;
}

// The events of the uninterrupted run of kEveryKind.
std::vector<v1::RunEvent> UninterruptedRun(const ValueMap& inputs) {
  Execution execution(CompileJson(kEveryKind), inputs);
  Harness harness(execution);
  harness.Take(execution.Start());
  harness.RunToEnd();
  EXPECT_TRUE(execution.finished());
  return harness.log();
}

std::vector<v1::RunEvent> Prefix(const std::vector<v1::RunEvent>& log, size_t n) {
  return std::vector<v1::RunEvent>(log.begin(), log.begin() + static_cast<long>(n));
}

// Resumes from `history` and runs to the end; the whole log.
std::vector<v1::RunEvent> ResumeAndFinish(const ValueMap& inputs,
                                          const std::vector<v1::RunEvent>& history) {
  Execution execution(CompileJson(kEveryKind), inputs);
  absl::StatusOr<Step> step = ReplayAndResume(execution, history, ResumedAfter(history));
  EXPECT_TRUE(step.ok()) << "after " << history.size() << " events: " << step.status();
  if (!step.ok()) return history;
  Harness harness(execution, history);
  harness.Take(*std::move(step));
  harness.RunToEnd();
  return harness.log();
}

// The resumed log must end as the uninterrupted one, record each node's
// execution once with the same result, and not start again a node whose
// node_finished was in the history.
void ExpectSameOutcome(const std::vector<v1::RunEvent>& uninterrupted,
                       const std::vector<v1::RunEvent>& resumed, size_t history,
                       const std::string& context) {
  ASSERT_FALSE(resumed.empty()) << context;
  ASSERT_TRUE(resumed.back().has_run_finished()) << context;
  EXPECT_TRUE(MessageDifferencer::Equals(uninterrupted.back().run_finished(),
                                         resumed.back().run_finished()))
      << context << ": " << resumed.back().run_finished().DebugString();
  std::map<std::string, v1::NodeResult> expected;
  for (const v1::RunEvent& e : uninterrupted) {
    if (e.has_node_finished()) expected[LabelOf(e)] = e.node_finished().result();
  }
  std::set<std::string> finished_in_history;
  std::map<std::string, int> finished;
  for (size_t i = 0; i < resumed.size(); ++i) {
    const v1::RunEvent& e = resumed[i];
    EXPECT_EQ(e.sequence(), static_cast<int64_t>(i) + 1) << context;
    if (e.has_node_started() && i >= history) {
      EXPECT_FALSE(finished_in_history.contains(LabelOf(e)))
          << context << ": " << LabelOf(e) << " started again after it finished";
    }
    if (!e.has_node_finished()) continue;
    const std::string label = LabelOf(e);
    EXPECT_EQ(++finished[label], 1) << context << ": " << label << " finished twice";
    if (i < history) finished_in_history.insert(label);
    v1::NodeResult result = e.node_finished().result();
    EXPECT_TRUE(MessageDifferencer::Equals(expected[label], result))
        << context << ": " << label << " " << result.DebugString();
  }
  EXPECT_EQ(finished.size(), expected.size()) << context;
}

class EveryPrefix : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryPrefix, ResumesToTheSameOutcomeWithoutRerunningFinishedNodes) {
  const ValueMap inputs = Json(GetParam());
  const std::vector<v1::RunEvent> uninterrupted = UninterruptedRun(inputs);
  ASSERT_TRUE(uninterrupted.back().has_run_finished());
  for (size_t n = 0; n < uninterrupted.size(); ++n) {
    std::vector<v1::RunEvent> resumed = ResumeAndFinish(inputs, Prefix(uninterrupted, n));
    ExpectSameOutcome(uninterrupted, resumed, n, absl::StrCat("resumed after ", n, " events"));
  }
}

TEST_P(EveryPrefix, ResumesTwiceToTheSameOutcome) {
  const ValueMap inputs = Json(GetParam());
  const std::vector<v1::RunEvent> uninterrupted = UninterruptedRun(inputs);
  for (size_t first = 0; first < uninterrupted.size(); first += 3) {
    std::vector<v1::RunEvent> once = ResumeAndFinish(inputs, Prefix(uninterrupted, first));
    for (size_t second = first; second < once.size(); second += 2) {
      std::vector<v1::RunEvent> twice = ResumeAndFinish(inputs, Prefix(once, second));
      ExpectSameOutcome(uninterrupted, twice, second,
                        absl::StrCat("resumed after ", first, " then ", second, " events"));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Replay, EveryPrefix,
                         ::testing::Values(R"({"n": 6, "xs": [1, 2, 3]})",
                                           R"({"n": 2, "xs": [4, 5, 6, 7]})"));

TEST(Replay, UninterruptedRunCoversEveryPath) {
  const std::vector<v1::RunEvent> log = UninterruptedRun(Json(R"({"n": 6, "xs": [1, 2, 3]})"));
  std::set<std::string> seen;
  for (const v1::RunEvent& e : log) {
    if (e.has_node_retry()) seen.insert("retry:" + LabelOf(e));
    if (e.has_node_finished()) {
      seen.insert(absl::StrCat(LabelOf(e), "=", v1::NodeStatus_Name(e.node_finished().result().status())));
    }
  }
  for (const char* step : {"retry:double", "retry:on_big", "check=NODE_SUCCEEDED",
                           "risky=NODE_EXCEPTION", "rescue=NODE_SUCCEEDED", "each[2]/square=NODE_SUCCEEDED",
                           "count[2]/bump=NODE_SUCCEEDED", "fallback=NODE_EXCEPTION", "say=NODE_SUCCEEDED"}) {
    EXPECT_TRUE(seen.contains(step)) << step;
  }
  EXPECT_EQ(log.back().run_finished().status(), v1::RUN_PARTIAL_SUCCEEDED);
  EXPECT_EQ(*ValueMapToJson(log.back().run_finished().outputs()),
            R"({"fallback":7,"label":"big:12","rescued":"rescued from risky always fails",)"
            R"("said":"big:12!","seen":[1,2,3],"squares":[1,4,9],"text":"big:12!","total":3})");
}

// A two-node chain for the single-step tests: a → b → end.
constexpr const char* kChain = R"json({
  "nodes": [
    {"id": "start", "start": {"variables": []}},
    {"id": "a", "retry": {"max_retries": 1},
     "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"v": {"kind": "NUMBER"}}}},
    {"id": "b", "retry": {"max_retries": 1, "interval_ms": 1000},
     "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"v": {"kind": "NUMBER"}}}},
    {"id": "end", "end": {"outputs": [{"name": "v", "selector": ["b", "v"]}]}}],
  "edges": [{"source": "start", "target": "a"}, {"source": "a", "target": "b"},
            {"source": "b", "target": "end"}]})json";

std::vector<v1::RunEvent> Stamped(Step step, std::vector<v1::RunEvent> log = {}) {
  for (v1::RunEvent& e : step.events) {
    e.set_sequence(static_cast<int64_t>(log.size()) + 1);
    log.push_back(std::move(e));
  }
  return log;
}

v1::NodeResult Failed() {
  v1::NodeResult r;
  r.set_status(v1::NODE_FAILED);
  r.mutable_error()->set_code(v1::RUNTIME_ERROR);
  r.mutable_error()->set_message("boom");
  return r;
}

TEST(Replay, JobInFlightStartsAgainAsANewAttemptThatDoesNotUseUpARetry) {
  auto plan = CompileJson(kChain);
  Execution first(plan, {});
  Step started = first.Start();
  ASSERT_EQ(started.jobs.size(), 1u);
  const JobRef lost{started.jobs[0].task, started.jobs[0].attempt};
  std::vector<v1::RunEvent> history = Stamped(std::move(started));

  Execution execution(plan, {});
  absl::StatusOr<Step> step = ReplayAndResume(execution, history, ResumedAfter(history));
  ASSERT_TRUE(step.ok()) << step.status();
  ASSERT_EQ(step->events.size(), 2u);
  EXPECT_EQ(step->events[0].run_resumed().after_sequence(), history.back().sequence());
  EXPECT_EQ(step->events[1].node_started().node_id(), "a");
  EXPECT_EQ(step->events[1].node_started().attempt(), 2);
  ASSERT_EQ(step->jobs.size(), 1u);
  EXPECT_EQ(step->jobs[0].attempt, 2);
  // The lost attempt's result can never be applied.
  EXPECT_TRUE(execution.OnJobFinished(lost, v1::NodeResult()).events.empty());
  // a has max_retries 1: attempt 2 failing is its first failure, retried.
  Step retried = execution.OnJobFinished({step->jobs[0].task, 2}, Failed());
  ASSERT_EQ(retried.jobs.size(), 1u);
  EXPECT_EQ(retried.jobs[0].attempt, 3);
  Step failed = execution.OnJobFinished({retried.jobs[0].task, 3}, Failed());
  EXPECT_TRUE(execution.finished());
  EXPECT_EQ(failed.events.back().run_finished().status(), v1::RUN_FAILED);
}

TEST(Replay, PendingRetryTimerIsSetAgain) {
  auto plan = CompileJson(kChain);
  Execution first(plan, {});
  Step start = first.Start();
  std::vector<v1::RunEvent> history = Stamped(start);
  v1::NodeResult ok;
  ok.set_status(v1::NODE_SUCCEEDED);
  (*ok.mutable_outputs())["v"] = IntValue(1);
  Step b_started = first.OnJobFinished({start.jobs[0].task, 1}, ok);
  history = Stamped(b_started, history);
  Step b_failed = first.OnJobFinished({b_started.jobs[0].task, 1}, Failed());
  ASSERT_EQ(b_failed.timers.size(), 1u);
  history = Stamped(b_failed, history);

  Execution execution(plan, {});
  absl::StatusOr<Step> step = ReplayAndResume(execution, history, ResumedAfter(history));
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_TRUE(step->jobs.empty()) << "b waits for its retry interval";
  ASSERT_EQ(step->timers.size(), 1u);
  EXPECT_EQ(step->timers[0].delay_ms, 1000);
  Step retry = execution.OnTimer(step->timers[0].timer);
  ASSERT_EQ(retry.jobs.size(), 1u);
  EXPECT_EQ(retry.events[0].node_started().node_id(), "b");
  EXPECT_EQ(retry.events[0].node_started().attempt(), 2);
}

TEST(Replay, StepCutShortIsCompletedBeforeRunResumed) {
  auto plan = CompileJson(kChain);
  Execution first(plan, {});
  std::vector<v1::RunEvent> whole = Stamped(first.Start());
  ASSERT_EQ(whole.size(), 4u);  // run_started, start started+finished, a started
  std::vector<v1::RunEvent> history = Prefix(whole, 2);

  Execution execution(plan, {});
  absl::StatusOr<Step> step = ReplayAndResume(execution, history, ResumedAfter(history));
  ASSERT_TRUE(step.ok()) << step.status();
  ASSERT_EQ(step->events.size(), 4u);
  EXPECT_TRUE(step->events[0].has_node_finished());
  EXPECT_EQ(step->events[1].node_started().attempt(), 1);
  EXPECT_EQ(step->events[2].run_resumed().after_sequence(), 2);
  EXPECT_EQ(step->events[3].node_started().attempt(), 2);
  ASSERT_EQ(step->jobs.size(), 1u);
  EXPECT_EQ(step->jobs[0].attempt, 2);
}

TEST(Replay, HistoryOfAnotherWorkflowIsRefusedNamingTheEvent) {
  std::vector<v1::RunEvent> history = UninterruptedRun(Json(R"({"n": 6, "xs": [1]})"));
  Execution execution(CompileJson(kChain), {});
  absl::StatusOr<Step> step = ReplayAndResume(execution, Prefix(history, 5), {});
  EXPECT_EQ(step.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(step.status().message(),
              ::testing::HasSubstr("does not follow from its workflow at event"));
}

TEST(Replay, ResultOfAJobNotInFlightIsRefused) {
  auto plan = CompileJson(kChain);
  Execution first(plan, {});
  std::vector<v1::RunEvent> history = Stamped(first.Start());
  v1::RunEvent bogus;
  bogus.set_sequence(static_cast<int64_t>(history.size()) + 1);
  bogus.mutable_node_finished()->set_node_id("b");
  bogus.mutable_node_finished()->set_attempt(1);
  bogus.mutable_node_finished()->mutable_result()->set_status(v1::NODE_SUCCEEDED);
  history.push_back(bogus);
  Execution execution(plan, {});
  absl::StatusOr<Step> step = ReplayAndResume(execution, history, {});
  EXPECT_EQ(step.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(step.status().message(),
              ::testing::HasSubstr("node_finished of b attempt 1: NODE_SUCCEEDED matches no job"));
}

}  // namespace
}  // namespace flowgrid::run
