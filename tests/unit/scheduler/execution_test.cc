#include "scheduler/run/execution.h"

#include "common/value_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::run {
namespace {

using ::testing::ElementsAre;
using flowgrid::testing::WorkflowBuilder;

std::shared_ptr<const graph::Plan> Compile(const v1::Workflow& wf) {
  graph::CompileResult r = graph::Plan::Compile(wf);
  EXPECT_TRUE(r.diagnostics.empty());
  return r.plan;
}

// Describes events compactly: "run_started", "started:a", "finished:a", ...
std::vector<std::string> Describe(const Step& step) {
  std::vector<std::string> out;
  for (const v1::RunEvent& e : step.events) {
    if (e.has_run_started()) out.push_back("run_started");
    if (e.has_node_started()) out.push_back("started:" + e.node_started().node_id());
    if (e.has_node_finished()) out.push_back("finished:" + e.node_finished().node_id());
    if (e.has_run_finished()) {
      out.push_back("run_finished:" + v1::RunStatus_Name(e.run_finished().status()));
    }
  }
  return out;
}

std::vector<std::string> JobNodes(const graph::Plan& plan, const Step& step) {
  std::vector<std::string> out;
  for (const JobRequest& j : step.jobs) out.push_back(plan.node(j.node).id());
  return out;
}

v1::NodeResult Succeeded(const std::string& key, const std::string& value) {
  v1::NodeResult r;
  r.set_status(v1::NODE_SUCCEEDED);
  (*r.mutable_outputs())[key] = StringValue(value);
  return r;
}

ValueMap Inputs(const char* json) { return *ParseValueMapJson(json); }

TEST(Execution, ChainRunsCodeNodeAndFinishesWithEndOutputs) {
  auto plan = Compile(WorkflowBuilder()
                          .Start("start", {"name"})
                          .Code("greet", {{"who", "start.name"}}, {"greeting"})
                          .End("end", {{"greeting", "greet.greeting"}})
                          .Edge("start", "greet").Edge("greet", "end").Build());
  Execution exec(plan, Inputs(R"({"name":"Ada"})"));
  Step s1 = exec.Start();
  EXPECT_THAT(Describe(s1),
              ElementsAre("run_started", "started:start", "finished:start", "started:greet"));
  ASSERT_THAT(JobNodes(*plan, s1), ElementsAre("greet"));
  EXPECT_EQ(s1.jobs[0].inputs.at("who").string_value(), "Ada");
  EXPECT_EQ(s1.jobs[0].attempt, 1);

  Step s2 = exec.OnJobFinished(s1.jobs[0].node, 1, Succeeded("greeting", "Hello, Ada!"));
  EXPECT_THAT(Describe(s2), ElementsAre("finished:greet", "started:end", "finished:end",
                                        "run_finished:RUN_SUCCEEDED"));
  EXPECT_EQ(s2.events.back().run_finished().outputs().at("greeting").string_value(),
            "Hello, Ada!");
  EXPECT_TRUE(exec.finished());
  EXPECT_EQ(exec.status(), v1::RUN_SUCCEEDED);
}

TEST(Execution, DiamondBranchesAreDispatchedTogetherAndJoinWaitsForBoth) {
  auto plan = Compile(WorkflowBuilder()
                          .Start("start", {"x"})
                          .Code("left", {{"x", "start.x"}}, {"l"})
                          .Code("right", {{"x", "start.x"}}, {"r"})
                          .Code("join", {{"l", "left.l"}, {"r", "right.r"}}, {"out"})
                          .End("end", {{"out", "join.out"}})
                          .Edge("start", "left").Edge("start", "right")
                          .Edge("left", "join").Edge("right", "join").Edge("join", "end")
                          .Build());
  Execution exec(plan, Inputs(R"({"x":"1"})"));
  Step s1 = exec.Start();
  EXPECT_THAT(JobNodes(*plan, s1), ElementsAre("left", "right"));
  Step s2 = exec.OnJobFinished(plan->IndexOf("right"), 1, Succeeded("r", "R"));
  EXPECT_TRUE(s2.jobs.empty());
  Step s3 = exec.OnJobFinished(plan->IndexOf("left"), 1, Succeeded("l", "L"));
  ASSERT_THAT(JobNodes(*plan, s3), ElementsAre("join"));
  EXPECT_EQ(s3.jobs[0].inputs.at("l").string_value(), "L");
  EXPECT_EQ(s3.jobs[0].inputs.at("r").string_value(), "R");
  Step s4 = exec.OnJobFinished(plan->IndexOf("join"), 1, Succeeded("out", "LR"));
  EXPECT_EQ(s4.events.back().run_finished().outputs().at("out").string_value(), "LR");
}

TEST(Execution, FailedNodeFailsTheRunAndCancelsTheOthers) {
  auto plan = Compile(WorkflowBuilder()
                          .Start("start").Code("a", {}, {"v"}).Code("b", {}, {"v"}).End("end")
                          .Edge("start", "a").Edge("start", "b").Edge("a", "end").Edge("b", "end")
                          .Build());
  Execution exec(plan, {});
  exec.Start();
  v1::NodeResult failed;
  failed.set_status(v1::NODE_FAILED);
  failed.mutable_error()->set_code(v1::RUNTIME_ERROR);
  failed.mutable_error()->set_message("ZeroDivisionError: division by zero");
  Step s = exec.OnJobFinished(plan->IndexOf("a"), 1, failed);
  EXPECT_THAT(Describe(s), ElementsAre("finished:a", "run_finished:RUN_FAILED"));
  const v1::RunFinished& f = s.events.back().run_finished();
  EXPECT_EQ(f.failed_node_id(), "a");
  EXPECT_EQ(f.error().code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(f.error().message(), "ZeroDivisionError: division by zero");
  EXPECT_THAT(s.cancelled_nodes, ElementsAre(plan->IndexOf("b")));
  // The late result of the cancelled node changes nothing.
  EXPECT_TRUE(exec.OnJobFinished(plan->IndexOf("b"), 1, Succeeded("v", "x")).events.empty());
  EXPECT_EQ(exec.status(), v1::RUN_FAILED);
}

TEST(Execution, StaleOrUnknownResultsAreIgnored) {
  auto plan = Compile(WorkflowBuilder().Start("start").Code("a", {}, {"v"}).End("end")
                          .Edge("start", "a").Edge("a", "end").Build());
  Execution exec(plan, {});
  exec.Start();
  EXPECT_TRUE(exec.OnJobFinished(plan->IndexOf("a"), 2, Succeeded("v", "x")).events.empty());
  EXPECT_TRUE(exec.OnJobFinished(plan->IndexOf("end"), 1, Succeeded("v", "x")).events.empty());
  EXPECT_TRUE(exec.OnJobFinished(99, 1, Succeeded("v", "x")).events.empty());
  EXPECT_FALSE(exec.finished());
  exec.OnJobFinished(plan->IndexOf("a"), 1, Succeeded("v", "x"));
  EXPECT_EQ(exec.status(), v1::RUN_SUCCEEDED);
  // A duplicate of an accepted result is ignored too.
  EXPECT_TRUE(exec.OnJobFinished(plan->IndexOf("a"), 1, Succeeded("v", "y")).events.empty());
}

TEST(Execution, CancelEndsTheRunCancelled) {
  auto plan = Compile(WorkflowBuilder().Start("start").Code("a", {}, {"v"}).End("end")
                          .Edge("start", "a").Edge("a", "end").Build());
  Execution exec(plan, {});
  exec.Start();
  Step s = exec.Cancel("requested by a client");
  EXPECT_THAT(Describe(s), ElementsAre("run_finished:RUN_CANCELLED"));
  EXPECT_EQ(s.events.back().run_finished().error().message(),
            "run cancelled: requested by a client");
  EXPECT_THAT(s.cancelled_nodes, ElementsAre(plan->IndexOf("a")));
  EXPECT_TRUE(exec.Cancel("again").events.empty());
}

TEST(Execution, SelectorPathsReachIntoObjectsAndMissingValuesAreNull) {
  v1::Workflow wf = WorkflowBuilder().Start("start").Code("a", {}, {"obj"})
                        .End("end", {{"deep", "a.obj"}, {"gone", "a.obj"}})
                        .Edge("start", "a").Edge("a", "end").Build();
  auto* outputs = wf.mutable_nodes(2)->mutable_end()->mutable_outputs();
  outputs->at(0).add_selector("list");
  outputs->at(0).add_selector("1");
  outputs->at(1).add_selector("nope");
  auto plan = Compile(wf);
  Execution exec(plan, {});
  exec.Start();
  v1::NodeResult r;
  r.set_status(v1::NODE_SUCCEEDED);
  (*r.mutable_outputs())["obj"] = *ParseValueJson(R"({"list":[1,"two"]})");
  Step s = exec.OnJobFinished(plan->IndexOf("a"), 1, r);
  const auto& out = s.events.back().run_finished().outputs();
  EXPECT_EQ(out.at("deep").string_value(), "two");
  EXPECT_TRUE(out.at("gone").has_null_value());
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
  auto plan = Compile(b.Build());
  Execution exec(plan, {}, ExecutionOptions{.max_steps = 3});
  Step s = exec.Start();
  s = exec.OnJobFinished(plan->IndexOf("n0"), 1, Succeeded("v", ""));
  s = exec.OnJobFinished(plan->IndexOf("n1"), 1, Succeeded("v", ""));
  EXPECT_EQ(exec.status(), v1::RUN_FAILED);
  EXPECT_EQ(s.events.back().run_finished().error().message(),
            "run exceeded the maximum of 3 steps");
}

}  // namespace
}  // namespace flowgrid::run
