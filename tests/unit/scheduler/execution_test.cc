#include "scheduler/run/execution.h"

#include "common/value_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/scheduler/run_driver.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::run {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using flowgrid::testing::CompileJson;
using flowgrid::testing::CompileOrDie;
using flowgrid::testing::Json;
using flowgrid::testing::RunDriver;
using flowgrid::testing::WorkflowBuilder;

std::string OutputJson(const v1::RunFinished& finished) {
  return *ValueMapToJson(finished.outputs());
}

TEST(Execution, ChainRunsCodeNodeAndFinishesWithEndOutputs) {
  RunDriver run(CompileOrDie(WorkflowBuilder()
                                 .Start("start", {"name"})
                                 .Code("greet", {{"who", "start.name"}}, {"greeting"})
                                 .End("end", {{"greeting", "greet.greeting"}})
                                 .Edge("start", "greet").Edge("greet", "end").Build()),
                Json(R"({"name":"Ada"})"));
  run.Start();
  EXPECT_THAT(run.Pending(), ElementsAre("greet"));
  EXPECT_EQ(run.Job("greet").inputs.at("who").string_value(), "Ada");
  EXPECT_EQ(run.Job("greet").kind, v1::Job::RUN_CODE);
  run.Succeed("greet", R"({"greeting":"Hello, Ada!"})");
  EXPECT_THAT(run.Trace(), ElementsAre("started:start", "finished:start=SUCCEEDED", "started:greet",
                                       "finished:greet=SUCCEEDED", "started:end",
                                       "finished:end=SUCCEEDED", "run:SUCCEEDED"));
  EXPECT_EQ(OutputJson(run.finished()), R"({"greeting":"Hello, Ada!"})");
}

TEST(Execution, DiamondBranchesAreDispatchedTogetherAndJoinWaitsForBoth) {
  RunDriver run(CompileOrDie(WorkflowBuilder()
                                 .Start("start", {"x"})
                                 .Code("left", {{"x", "start.x"}}, {"l"})
                                 .Code("right", {{"x", "start.x"}}, {"r"})
                                 .Code("join", {{"l", "left.l"}, {"r", "right.r"}}, {"out"})
                                 .End("end", {{"out", "join.out"}})
                                 .Edge("start", "left").Edge("start", "right")
                                 .Edge("left", "join").Edge("right", "join").Edge("join", "end")
                                 .Build()),
                Json(R"({"x":"1"})"));
  run.Start();
  EXPECT_THAT(run.Pending(), ElementsAre("left", "right"));
  run.Succeed("right", R"({"r":"R"})");
  EXPECT_THAT(run.Pending(), ElementsAre("left"));
  run.Succeed("left", R"({"l":"L"})");
  ASSERT_THAT(run.Pending(), ElementsAre("join"));
  EXPECT_EQ(*ValueMapToJson(run.Job("join").inputs), R"({"l":"L","r":"R"})");
  run.Succeed("join", R"({"out":"LR"})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"out":"LR"})");
}

TEST(Execution, FailedNodeFailsTheRunAndCancelsTheOthers) {
  RunDriver run(CompileOrDie(WorkflowBuilder()
                                 .Start("start").Code("a", {}, {"v"}).Code("b", {}, {"v"}).End("end")
                                 .Edge("start", "a").Edge("start", "b").Edge("a", "end")
                                 .Edge("b", "end").Build()));
  run.Start();
  run.Fail("a", v1::RUNTIME_ERROR, "ZeroDivisionError: division by zero");
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().failed_node_id(), "a");
  EXPECT_EQ(run.finished().error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(run.finished().error().message(), "ZeroDivisionError: division by zero");
  ASSERT_EQ(run.cancelled().size(), 1u);
  EXPECT_THAT(run.Pending(), IsEmpty());
}

TEST(Execution, StaleOrUnknownResultsAreIgnored) {
  auto plan = CompileOrDie(WorkflowBuilder().Start("start").Code("a", {}, {"v"}).End("end")
                               .Edge("start", "a").Edge("a", "end").Build());
  Execution exec(plan, {});
  Step start = exec.Start();
  ASSERT_EQ(start.jobs.size(), 1u);
  JobRef job{start.jobs[0].task, start.jobs[0].attempt};
  v1::NodeResult ok;
  ok.set_status(v1::NODE_SUCCEEDED);
  EXPECT_TRUE(exec.OnJobFinished({job.task, job.attempt + 1}, ok).events.empty());
  EXPECT_TRUE(exec.OnJobFinished({job.task + 7, 1}, ok).events.empty());
  EXPECT_FALSE(exec.finished());
  EXPECT_FALSE(exec.OnJobFinished(job, ok).events.empty());
  EXPECT_EQ(exec.status(), v1::RUN_SUCCEEDED);
  EXPECT_TRUE(exec.OnJobFinished(job, ok).events.empty());
}

TEST(Execution, CancelEndsTheRunCancelled) {
  RunDriver run(CompileOrDie(WorkflowBuilder().Start("start").Code("a", {}, {"v"}).End("end")
                                 .Edge("start", "a").Edge("a", "end").Build()));
  run.Start();
  run.Cancel();
  EXPECT_EQ(run.execution().status(), v1::RUN_CANCELLED);
  EXPECT_EQ(run.finished().error().message(), "run cancelled: test");
  EXPECT_EQ(run.cancelled().size(), 1u);
}

TEST(Execution, AbortEndsTheRunWithTheGivenError) {
  RunDriver run(CompileOrDie(WorkflowBuilder().Start("start").Code("a", {}, {"v"}).End("end")
                                 .Edge("start", "a").Edge("a", "end").Build()));
  run.Start();
  v1::NodeError error;
  error.set_code(v1::TIMEOUT);
  error.set_message("the run exceeded its maximum run time of 20m");
  run.Abort(error);
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().error().code(), v1::TIMEOUT);
  EXPECT_EQ(run.cancelled().size(), 1u);
}

TEST(Execution, SelectorPathsReachIntoObjectsAndMissingValuesAreNull) {
  v1::Workflow wf = WorkflowBuilder().Start("start").Code("a", {}, {"obj"})
                        .End("end", {{"deep", "a.obj"}, {"gone", "a.obj"}})
                        .Edge("start", "a").Edge("a", "end").Build();
  auto* outputs = wf.mutable_nodes(2)->mutable_end()->mutable_outputs();
  outputs->at(0).add_selector("list");
  outputs->at(0).add_selector("1");
  outputs->at(1).add_selector("nope");
  RunDriver run(CompileOrDie(wf));
  run.Start();
  run.Succeed("a", R"({"obj":{"list":[1,"two"]}})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"deep":"two","gone":null})");
}

TEST(Execution, MaxStepsFailsTheRun) {
  WorkflowBuilder b;
  b.Start("start");
  std::string prev = "start";
  for (int i = 0; i < 5; ++i) {
    std::string id = "n" + std::to_string(i);
    b.Code(id, {}, {"v"}).Edge(prev, id);
    prev = id;
  }
  b.End("end").Edge(prev, "end");
  RunDriver run(CompileOrDie(b.Build()), {}, {}, ExecutionOptions{.max_steps = 3});
  run.Start();
  run.Succeed("n0", R"({"v":""})");
  run.Succeed("n1", R"({"v":""})");
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().error().message(), "run exceeded the maximum of 3 steps");
}

// ---------------------------------------------------------- if-else & joins

constexpr const char* kBranching = R"json({
  "nodes": [
    {"id": "start", "start": {"variables": [{"name": "n", "type": {"kind": "NUMBER"}}]}},
    {"id": "check", "if_else": {"cases": [
      {"case_id": "big", "conditions": [{"selector": ["start", "n"], "comparison_operator": ">", "value": {"int_value": 100}}]},
      {"case_id": "small", "conditions": [{"selector": ["start", "n"], "comparison_operator": "<", "value": {"string_value": "10"}}]}
    ]}},
    {"id": "on_big", "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"label": {"kind": "STRING"}}}},
    {"id": "on_small", "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"label": {"kind": "STRING"}}}},
    {"id": "on_else", "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"label": {"kind": "STRING"}}}},
    {"id": "after_big", "code": {"language": "PYTHON3", "code": "def main(): pass", "outputs": {"v": {"kind": "STRING"}}}},
    {"id": "merge", "variable_aggregator": {"variables": [
      {"selector": ["on_big", "label"]}, {"selector": ["on_small", "label"]}, {"selector": ["on_else", "label"]}],
      "output_type": {"kind": "STRING"}}},
    {"id": "end", "end": {"outputs": [{"name": "label", "selector": ["merge", "output"]},
                                      {"name": "after", "selector": ["after_big", "v"]}]}}
  ],
  "edges": [
    {"source": "start", "target": "check"},
    {"source": "check", "source_handle": "big", "target": "on_big"},
    {"source": "check", "source_handle": "small", "target": "on_small"},
    {"source": "check", "source_handle": "false", "target": "on_else"},
    {"source": "on_big", "target": "after_big"},
    {"source": "after_big", "target": "merge"},
    {"source": "on_small", "target": "merge"},
    {"source": "on_else", "target": "merge"},
    {"source": "merge", "target": "end"}
  ]})json";

struct BranchCase {
  const char* inputs;
  const char* job;
  const char* label;
  const char* outputs;
};

TEST(Execution, IfElseTakesOneBranchSkipsTheOthersAndTheAggregatorJoins) {
  const BranchCase cases[] = {
      {R"({"n":500})", "on_big", R"({"label":"big"})", R"({"after":"x","label":"big"})"},
      {R"({"n":3})", "on_small", R"({"label":"small"})", R"({"after":null,"label":"small"})"},
      {R"({"n":50})", "on_else", R"({"label":"else"})", R"({"after":null,"label":"else"})"},
  };
  for (const BranchCase& c : cases) {
    SCOPED_TRACE(c.inputs);
    RunDriver run(CompileJson(kBranching), Json(c.inputs));
    run.Start();
    ASSERT_THAT(run.Pending(), ElementsAre(c.job));
    run.Succeed(c.job, c.label);
    if (std::string(c.job) == "on_big") run.Succeed("after_big", R"({"v":"x"})");
    EXPECT_EQ(run.execution().status(), v1::RUN_SUCCEEDED);
    EXPECT_EQ(OutputJson(run.finished()), c.outputs);
  }
}

TEST(Execution, IfElseReportsTheBranchTaken) {
  RunDriver run(CompileJson(kBranching), Json(R"({"n":3})"));
  run.Start();
  for (const v1::RunEvent& e : run.events()) {
    if (e.has_node_finished() && e.node_finished().node_id() == "check") {
      EXPECT_EQ(e.node_finished().branch(), "small");
    }
  }
}

TEST(Execution, ConditionThatCannotBeEvaluatedFailsTheNodeClearly) {
  std::string wf = kBranching;
  wf.replace(wf.find(R"("type": {"kind": "NUMBER"})"), 26, R"("type": {"kind": "ANY"}   )");
  RunDriver run(CompileJson(wf), Json(R"({"n":"text"})"));
  run.Start();
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().failed_node_id(), "check");
  EXPECT_EQ(run.finished().error().code(), v1::INVALID_INPUT);
  EXPECT_EQ(run.finished().error().message(),
            "case \"big\": condition 0 on [start, n]: numeric comparison needs a number, got "
            "string");
}

// ------------------------------------------------ retries and error strategies

v1::Workflow OneCodeNode(int max_retries, int interval_ms, v1::ErrorStrategy::Kind strategy) {
  WorkflowBuilder b;
  b.Start("start").Code("flaky", {}, {"v"}).Retry(max_retries, interval_ms).OnError(strategy);
  // Only a node with an error strategy exposes error_message.
  b.Code("recover",
         {{"why", strategy == v1::ErrorStrategy::NONE ? "flaky.v" : "flaky.error_message"}},
         {"v"});
  b.End("end", {{"v", "flaky.v"}, {"recovered", "recover.v"}});
  b.Edge("start", "flaky").Edge("recover", "end");
  if (strategy == v1::ErrorStrategy::FAIL_BRANCH) {
    b.Edge("flaky", "end", "success-branch").Edge("flaky", "recover", "fail-branch");
  } else {
    b.Edge("flaky", "end").Edge("flaky", "recover");
  }
  return b.Build();
}

TEST(Execution, ImmediateRetryRunsTheNodeAgain) {
  RunDriver run(CompileOrDie(OneCodeNode(2, 0, v1::ErrorStrategy::NONE)));
  run.Start();
  run.Fail("flaky", v1::RUNTIME_ERROR, "boom 1");
  EXPECT_THAT(run.Pending(), ElementsAre("flaky#2"));
  run.Fail("flaky#2", v1::RUNTIME_ERROR, "boom 2");
  EXPECT_THAT(run.Pending(), ElementsAre("flaky#3"));
  run.Succeed("flaky#3", R"({"v":"third time"})");
  run.Succeed("recover", R"({"v":"unused"})");
  EXPECT_EQ(run.execution().status(), v1::RUN_SUCCEEDED);
  EXPECT_THAT(run.Trace(), ::testing::Contains("retry:flaky#1"));
  EXPECT_THAT(run.Trace(), ::testing::Contains("retry:flaky#2"));
}

TEST(Execution, RetryIntervalWaitsForATimer) {
  RunDriver run(CompileOrDie(OneCodeNode(1, 250, v1::ErrorStrategy::NONE)));
  run.Start();
  run.Fail("flaky", v1::TIMEOUT, "Execution timed out after 10000 ms");
  EXPECT_THAT(run.Pending(), IsEmpty());
  ASSERT_EQ(run.timers().size(), 1u);
  EXPECT_EQ(run.timers()[0].delay_ms, 250);
  run.FireTimers();
  EXPECT_THAT(run.Pending(), ElementsAre("flaky#2"));
  run.Fail("flaky#2", v1::TIMEOUT, "Execution timed out after 10000 ms");
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().error().code(), v1::TIMEOUT);
}

TEST(Execution, FailBranchRoutesToTheFailEdgeWithTheErrorAsVariables) {
  RunDriver run(CompileOrDie(OneCodeNode(0, 0, v1::ErrorStrategy::FAIL_BRANCH)));
  run.Start();
  run.Fail("flaky", v1::RUNTIME_ERROR, "ValueError: bad");
  ASSERT_THAT(run.Pending(), ElementsAre("recover"));
  EXPECT_EQ(run.Job("recover").inputs.at("why").string_value(), "ValueError: bad");
  run.Succeed("recover", R"({"v":"fixed"})");
  EXPECT_EQ(run.execution().status(), v1::RUN_PARTIAL_SUCCEEDED);
  EXPECT_EQ(OutputJson(run.finished()), R"({"recovered":"fixed","v":null})");
  EXPECT_THAT(run.Trace(), ::testing::Contains("finished:flaky=EXCEPTION"));
}

TEST(Execution, FailBranchNotTakenOnSuccess) {
  RunDriver run(CompileOrDie(OneCodeNode(0, 0, v1::ErrorStrategy::FAIL_BRANCH)));
  run.Start();
  run.Succeed("flaky", R"({"v":"fine"})");
  EXPECT_THAT(run.Pending(), IsEmpty());
  EXPECT_EQ(run.execution().status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(OutputJson(run.finished()), R"({"recovered":null,"v":"fine"})");
}

TEST(Execution, DefaultValueContinuesWithTheDefaults) {
  v1::Workflow wf = OneCodeNode(0, 0, v1::ErrorStrategy::DEFAULT_VALUE);
  (*wf.mutable_nodes(1)->mutable_error_strategy()->mutable_defaults())["v"] = StringValue("dflt");
  RunDriver run(CompileOrDie(wf));
  run.Start();
  run.Fail("flaky", v1::RUNTIME_ERROR, "KeyError: 'x'");
  ASSERT_THAT(run.Pending(), ElementsAre("recover"));
  EXPECT_EQ(run.Job("recover").inputs.at("why").string_value(), "KeyError: 'x'");
  run.Succeed("recover", R"({"v":"r"})");
  EXPECT_EQ(run.execution().status(), v1::RUN_PARTIAL_SUCCEEDED);
  EXPECT_EQ(OutputJson(run.finished()), R"({"recovered":"r","v":"dflt"})");
}

TEST(Execution, RetriesComeBeforeTheErrorStrategy) {
  RunDriver run(CompileOrDie(OneCodeNode(1, 0, v1::ErrorStrategy::FAIL_BRANCH)));
  run.Start();
  run.Fail("flaky", v1::RUNTIME_ERROR, "once");
  EXPECT_THAT(run.Pending(), ElementsAre("flaky#2"));
  run.Fail("flaky#2", v1::RUNTIME_ERROR, "twice");
  EXPECT_THAT(run.Pending(), ElementsAre("recover"));
  EXPECT_EQ(run.Job("recover").inputs.at("why").string_value(), "twice");
}

// ----------------------------------------------------------------- iteration

std::string IterationWorkflow(const std::string& options) {
  return R"json({
  "nodes": [
    {"id": "start", "start": {"variables": [{"name": "xs", "type": {"kind": "ARRAY_NUMBER"}}]}},
    {"id": "each", "iteration": {
      "iterator_selector": ["start", "xs"], "output_selector": ["square", "y"],)json" +
         options + R"json(
      "nodes": [{"id": "square", "code": {"language": "PYTHON3", "code": "def main(x, i): pass",
                 "inputs": [{"name": "x", "selector": ["each", "item"]}, {"name": "i", "selector": ["each", "index"]}],
                 "outputs": {"y": {"kind": "ANY"}}}}],
      "edges": [{"source": "each", "target": "square"}]}},
    {"id": "end", "end": {"outputs": [{"name": "ys", "selector": ["each", "output"]}]}}
  ],
  "edges": [{"source": "start", "target": "each"}, {"source": "each", "target": "end"}]})json";
}

TEST(Execution, SequentialIterationRunsOneItemAtATimeInOrder) {
  RunDriver run(CompileJson(IterationWorkflow("")), Json(R"({"xs":[3,4,5]})"));
  run.Start();
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(run.Pending(), ElementsAre("square"));
    EXPECT_EQ(run.Job("square").inputs.at("i").int_value(), i);
    int x = static_cast<int>(run.Job("square").inputs.at("x").int_value());
    run.Succeed("square", ("{\"y\":" + std::to_string(x * x) + "}").c_str());
  }
  EXPECT_EQ(OutputJson(run.finished()), R"({"ys":[9,16,25]})");
  EXPECT_THAT(run.Trace(), ::testing::Contains("started:each[2]/square"));
}

TEST(Execution, ParallelIterationKeepsAtMostParallelNumsInFlightAndItemOrder) {
  RunDriver run(CompileJson(IterationWorkflow(R"("parallel": true, "parallel_nums": 2,)")),
                Json(R"({"xs":[1,2,3]})"));
  run.Start();
  ASSERT_THAT(run.Pending(), ElementsAre("square", "square"));
  EXPECT_EQ(run.Job("square").inputs.at("i").int_value(), 0);
  run.Succeed("square", R"({"y":"first"})");
  // The third item starts as soon as a place is free.
  ASSERT_THAT(run.Pending(), ElementsAre("square", "square"));
  // Finishing the third before the second keeps the outputs in item order.
  run.SucceedWhere("square", "i", 2, R"({"y":"third"})");
  run.SucceedWhere("square", "i", 1, R"({"y":"second"})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"ys":["first","second","third"]})");
}

TEST(Execution, EmptyIterationOutputsAnEmptyArray) {
  RunDriver run(CompileJson(IterationWorkflow("")), Json(R"({"xs":[]})"));
  run.Start();
  EXPECT_EQ(OutputJson(run.finished()), R"({"ys":[]})");
}

TEST(Execution, IterationErrorModes) {
  struct Mode {
    const char* option;
    v1::RunStatus status;
    const char* outputs;
  };
  const Mode modes[] = {
      {R"("error_handle_mode": "TERMINATED",)", v1::RUN_FAILED, "{}"},
      {R"("error_handle_mode": "CONTINUE_ON_ERROR",)", v1::RUN_SUCCEEDED, R"({"ys":[1,null,9]})"},
      {R"("error_handle_mode": "REMOVE_ABNORMAL_OUTPUT",)", v1::RUN_SUCCEEDED, R"({"ys":[1,9]})"},
  };
  for (const Mode& mode : modes) {
    SCOPED_TRACE(mode.option);
    RunDriver run(CompileJson(IterationWorkflow(mode.option)), Json(R"({"xs":[1,2,3]})"));
    run.Start();
    run.Succeed("square", R"({"y":1})");
    run.Fail("square", v1::RUNTIME_ERROR, "ValueError: two");
    if (mode.status == v1::RUN_SUCCEEDED) run.Succeed("square", R"({"y":9})");
    EXPECT_EQ(run.execution().status(), mode.status);
    EXPECT_EQ(OutputJson(run.finished()), mode.outputs);
    if (mode.status == v1::RUN_FAILED) {
      EXPECT_EQ(run.finished().failed_node_id(), "each");
      EXPECT_EQ(run.finished().error().message(),
                "node square failed in item 1: ValueError: two");
    }
  }
}

TEST(Execution, FlattenOutputConcatenatesArrays) {
  RunDriver run(CompileJson(IterationWorkflow(R"("flatten_output": true,)")),
                Json(R"({"xs":[1,2]})"));
  run.Start();
  run.Succeed("square", R"({"y":[1,1]})");
  run.Succeed("square", R"({"y":[2]})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"ys":[1,1,2]})");
}

// ---------------------------------------------------------------------- loop

constexpr const char* kLoop = R"json({
  "nodes": [
    {"id": "start", "start": {"variables": [{"name": "limit", "type": {"kind": "NUMBER"}}]}},
    {"id": "count", "loop": {
      "loop_count": 10,
      "loop_variables": [
        {"name": "total", "type": {"kind": "NUMBER"}, "value": {"int_value": 0}},
        {"name": "seen", "type": {"kind": "ARRAY_NUMBER"}, "value": {"list_value": {}}}],
      "break_conditions": [{"selector": ["count", "total"], "comparison_operator": "≥", "value_selector": ["start", "limit"]}],
      "nodes": [
        {"id": "step", "code": {"language": "PYTHON3", "code": "def main(t): pass",
          "inputs": [{"name": "t", "selector": ["count", "total"]}], "outputs": {"add": {"kind": "NUMBER"}}}},
        {"id": "bump", "assigner": {"items": [
          {"variable_selector": ["count", "total"], "operation": "+=", "value_selector": ["step", "add"]},
          {"variable_selector": ["count", "seen"], "operation": "append", "value_selector": ["count", "total"]}]}}],
      "edges": [{"source": "count", "target": "step"}, {"source": "step", "target": "bump"}]}},
    {"id": "end", "end": {"outputs": [{"name": "total", "selector": ["count", "total"]},
                                      {"name": "seen", "selector": ["count", "seen"]}]}}
  ],
  "edges": [{"source": "start", "target": "count"}, {"source": "count", "target": "end"}]})json";

// Answers every round's "step" job with `outputs`; returns the rounds run.
int RunRounds(RunDriver& run, const char* outputs) {
  int rounds = 0;
  while (!run.Pending().empty()) {
    ++rounds;
    run.Succeed("step", outputs);
  }
  return rounds;
}

TEST(Execution, LoopRunsRoundsUntilTheBreakConditionHolds) {
  RunDriver run(CompileJson(kLoop), Json(R"({"limit":5})"));
  run.Start();
  EXPECT_EQ(RunRounds(run, R"({"add":2})"), 3);
  EXPECT_EQ(OutputJson(run.finished()), R"({"seen":[2,4,6],"total":6})");
  EXPECT_THAT(run.Trace(), ::testing::Contains("finished:count[2]/bump=SUCCEEDED"));
}

TEST(Execution, LoopStopsAtLoopCount) {
  RunDriver run(CompileJson(kLoop), Json(R"({"limit":1000})"));
  run.Start();
  EXPECT_EQ(RunRounds(run, R"({"add":1})"), 10);
  EXPECT_EQ(run.finished().outputs().at("total").int_value(), 10);
}

TEST(Execution, LoopBreaksBeforeTheFirstRound) {
  RunDriver run(CompileJson(kLoop), Json(R"({"limit":0})"));
  run.Start();
  EXPECT_THAT(run.Pending(), IsEmpty());
  EXPECT_EQ(OutputJson(run.finished()), R"({"seen":[],"total":0})");
}

TEST(Execution, AssignmentErrorFailsTheLoop) {
  RunDriver run(CompileJson(kLoop), Json(R"({"limit":5})"));
  run.Start();
  run.Succeed("step", R"({"add":"two"})");
  EXPECT_EQ(run.execution().status(), v1::RUN_FAILED);
  EXPECT_EQ(run.finished().failed_node_id(), "count");
  EXPECT_EQ(run.finished().error().message(),
            "node bump failed in round 0: items[0] (total +=): \"+=\" needs numbers, got number "
            "and string");
}

// ------------------------------------------------- answers, ends, variables

TEST(Execution, AnswerNodesJoinIntoTheAnswerOutput) {
  RunDriver run(CompileJson(R"json({
    "nodes": [
      {"id": "start", "start": {"variables": [{"name": "who", "type": {"kind": "STRING"}}]}},
      {"id": "a1", "answer": {"answer": "Hi {{#start.who#}}. "}},
      {"id": "a2", "answer": {"answer": "Query: {{#sys.query#}}; env {{#env.REGION#}}"}}],
    "edges": [{"source": "start", "target": "a1"}, {"source": "a1", "target": "a2"}],
    "environment": [{"name": "REGION", "value": {"string_value": "eu"}}]})json"),
                Json(R"({"who":"Ada"})"), Json(R"({"query":"what?"})"));
  run.Start();
  EXPECT_EQ(OutputJson(run.finished()), R"({"answer":"Hi Ada. Query: what?; env eu"})");
}

TEST(Execution, FirstEndReachedGivesTheOutputs) {
  RunDriver run(CompileOrDie(WorkflowBuilder()
                                 .Start("start").Code("slow", {}, {"v"}).Code("fast", {}, {"v"})
                                 .End("end_slow", {{"from", "slow.v"}})
                                 .End("end_fast", {{"from", "fast.v"}})
                                 .Edge("start", "slow").Edge("start", "fast")
                                 .Edge("slow", "end_slow").Edge("fast", "end_fast").Build()));
  run.Start();
  run.Succeed("fast", R"({"v":"fast"})");
  run.Succeed("slow", R"({"v":"slow"})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"from":"fast"})");
}

TEST(Execution, SecretsReachJobsButAreMaskedInEvents) {
  RunDriver run(CompileJson(R"json({
    "nodes": [
      {"id": "start", "start": {}},
      {"id": "sign", "code": {"language": "PYTHON3", "code": "def main(key, user): pass",
        "inputs": [{"name": "key", "selector": ["env", "API_KEY"]}, {"name": "user", "selector": ["sys", "user_id"]}],
        "outputs": {"v": {"kind": "STRING"}}}},
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "sign"}, {"source": "sign", "target": "end"}],
    "environment": [{"name": "API_KEY", "value": {"string_value": "s3cr3t"}, "secret": true}]})json"),
                {}, Json(R"({"user_id":"u-1"})"));
  run.Start();
  EXPECT_EQ(*ValueMapToJson(run.Job("sign").inputs), R"({"key":"s3cr3t","user":"u-1"})");
  for (const v1::RunEvent& e : run.events()) {
    EXPECT_EQ(e.DebugString().find("s3cr3t"), std::string::npos) << e.DebugString();
  }
}

TEST(Execution, TemplateNodesBecomeRenderJobs) {
  RunDriver run(CompileJson(R"json({
    "nodes": [
      {"id": "start", "start": {"variables": [{"name": "name", "type": {"kind": "STRING"}}]}},
      {"id": "t", "template": {"template": "Hi {{ name }}", "variables": [{"name": "name", "selector": ["start", "name"]}]}},
      {"id": "end", "end": {"outputs": [{"name": "text", "selector": ["t", "output"]}]}}],
    "edges": [{"source": "start", "target": "t"}, {"source": "t", "target": "end"}]})json"),
                Json(R"({"name":"Ada"})"));
  run.Start();
  EXPECT_EQ(run.Job("t").kind, v1::Job::RENDER_TEMPLATE);
  run.Succeed("t", R"({"output":"Hi Ada"})");
  EXPECT_EQ(OutputJson(run.finished()), R"({"text":"Hi Ada"})");
}

}  // namespace
}  // namespace flowgrid::run
