#include "scheduler/graph/plan.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/scheduler/workflow_builder.h"

namespace flowgrid::graph {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;
using flowgrid::testing::WorkflowBuilder;

std::vector<std::string> Messages(const CompileResult& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics) out.push_back(FormatDiagnostic(d));
  return out;
}

std::vector<std::string> Order(const Plan& plan) {
  std::vector<std::string> ids;
  for (int v : plan.topological_order()) ids.push_back(plan.node(v).id());
  return ids;
}

WorkflowBuilder Diamond() {
  WorkflowBuilder b;
  b.Start("start", {"x"})
      .Code("left", {{"x", "start.x"}}, {"l"})
      .Code("right", {{"x", "start.x"}}, {"r"})
      .Code("join", {{"l", "left.l"}, {"r", "right.r"}}, {"out"})
      .End("end", {{"out", "join.out"}})
      .Edge("start", "left").Edge("start", "right")
      .Edge("left", "join").Edge("right", "join").Edge("join", "end");
  return b;
}

TEST(Plan, OrdersADiamondTopologically) {
  CompileResult r = Plan::Compile(Diamond().Build());
  ASSERT_THAT(Messages(r), ::testing::IsEmpty());
  EXPECT_THAT(Order(*r.plan), ElementsAre("start", "left", "right", "join", "end"));
  EXPECT_EQ(r.plan->node(r.plan->start_node()).id(), "start");
  EXPECT_EQ(r.plan->incoming(r.plan->IndexOf("join")).size(), 2u);
}

TEST(Plan, OrderFollowsEdgesNotDeclaration) {
  WorkflowBuilder b;
  b.End("end", {{"v", "b.v"}})
      .Code("b", {{"v", "a.v"}}, {"v"})
      .Code("a", {}, {"v"})
      .Start("start")
      .Edge("start", "a").Edge("a", "b").Edge("b", "end");
  CompileResult r = Plan::Compile(b.Build());
  ASSERT_THAT(Messages(r), ::testing::IsEmpty());
  EXPECT_THAT(Order(*r.plan), ElementsAre("start", "a", "b", "end"));
}

TEST(Plan, CycleIsReportedWithItsNodesInOrder) {
  WorkflowBuilder b;
  b.Start("start").Code("a", {}, {"v"}).Code("b", {}, {"v"}).Code("c", {}, {"v"}).End("end")
      .Edge("start", "a").Edge("a", "b").Edge("b", "c").Edge("c", "a").Edge("c", "end");
  CompileResult r = Plan::Compile(b.Build());
  EXPECT_EQ(r.plan, nullptr);
  EXPECT_THAT(Messages(r), ElementsAre("node a: edges: cycle: a -> b -> c -> a"));
}

TEST(Plan, SelfLoopIsACycle) {
  WorkflowBuilder b;
  b.Start("start").Code("a", {}, {"v"}).End("end")
      .Edge("start", "a").Edge("a", "a").Edge("a", "end");
  EXPECT_THAT(Messages(Plan::Compile(b.Build())), ElementsAre("node a: edges: cycle: a -> a"));
}

TEST(Plan, EveryProblemIsReportedAtOnce) {
  WorkflowBuilder b;
  b.Start("start", {"x"})
      .Code("a", {{"x", "start.nope"}}, {"v"})
      .Code("a", {}, {"v"})
      .Code("b", {{"v", "ghost.v"}}, {"v"})
      .End("end")
      .Edge("start", "a").Edge("a", "missing").Edge("b", "end");
  CompileResult r = Plan::Compile(b.Build());
  EXPECT_THAT(Messages(r),
              UnorderedElementsAre("node a: id: duplicate node id (also used by nodes[1])",
                                   "node missing: edges[1].target: edge target \"missing\" is "
                                   "not a node"));
}

TEST(Plan, SelectorProblemsNameNodeFieldAndReason) {
  WorkflowBuilder b;
  b.Start("start", {"x"})
      .Code("a", {{"x", "start.nope"}}, {"v"})
      .Code("b", {{"v", "ghost.v"}, {"w", "c.v"}, {"u", "a.zzz"}}, {"v"})
      .Code("c", {}, {"v"})
      .End("end", {{"out", "b.v"}})
      .Edge("start", "a").Edge("a", "b").Edge("start", "c").Edge("b", "end").Edge("c", "end");
  EXPECT_THAT(
      Messages(Plan::Compile(b.Build())),
      ElementsAre(
          "node a: code.inputs[0].selector: selector [start, nope]: node \"start\" has no "
          "output \"nope\"",
          "node b: code.inputs[0].selector: selector [ghost, v] names node \"ghost\", which "
          "does not exist",
          "node b: code.inputs[1].selector: selector [c, v] names node \"c\", which is not "
          "upstream of this node",
          "node b: code.inputs[2].selector: selector [a, zzz]: node \"a\" has no output \"zzz\""));
}

TEST(Plan, StructuralProblems) {
  v1::Workflow empty;
  EXPECT_THAT(Messages(Plan::Compile(empty)),
              ElementsAre("nodes: workflow has no nodes", "nodes: workflow has no start node",
                          "nodes: workflow has no end node"));

  WorkflowBuilder b;
  b.Start("s1").Start("s2").Code("lonely", {}, {"v"}).End("end").Edge("s1", "end");
  EXPECT_THAT(Messages(Plan::Compile(b.Build())),
              ElementsAre("nodes: workflow has 2 start nodes (s1, s2); exactly one is allowed"));
}

TEST(Plan, UnreachableNodesAreReported) {
  WorkflowBuilder b;
  b.Start("start").Code("island", {}, {"v"}).End("end").Edge("start", "end");
  EXPECT_THAT(Messages(Plan::Compile(b.Build())),
              ElementsAre("node island: node is not reachable from the start node"));
}

TEST(Plan, NodeDefinitionProblems) {
  v1::Workflow wf = WorkflowBuilder().Start("start").Code("c", {}, {"v"}).End("end")
                        .Edge("start", "c").Edge("c", "end").Build();
  v1::CodeNode* code = wf.mutable_nodes(1)->mutable_code();
  code->clear_code();
  code->set_language(v1::CodeNode::LANGUAGE_UNSPECIFIED);
  (*code->mutable_outputs())["bad-name"].set_kind(v1::Type::STRING);
  wf.add_nodes()->set_id("kindless");
  wf.add_edges()->set_source("c");
  wf.mutable_edges(2)->set_target("kindless");
  EXPECT_THAT(Messages(Plan::Compile(wf)),
              UnorderedElementsAre(
                  "node c: code.language: language is not set (PYTHON3 or JAVASCRIPT)",
                  "node c: code.code: code is empty",
                  "node c: code.outputs: \"bad-name\" is not a valid output name",
                  "node kindless: kind: node has no kind (expected one of start, code, "
                  "if_else, template, variable_aggregator, end)"));
}

TEST(Plan, EdgeRulesAreEnforced) {
  v1::Workflow wf = WorkflowBuilder().Start("start").End("end")
                        .Edge("start", "end").Edge("start", "end").Edge("end", "start").Build();
  wf.add_edges()->set_source("start");
  wf.mutable_edges(3)->set_target("end");
  wf.mutable_edges(3)->set_source_handle("true");
  EXPECT_THAT(Messages(Plan::Compile(wf)),
              ElementsAre("node start: edges[1]: duplicate edge start -> end",
                          "node end: edges[2]: an end node cannot have outgoing edges",
                          "node start: edges[3].source_handle: handle \"true\" does not exist "
                          "on a start node (only \"source\")"));
}

}  // namespace
}  // namespace flowgrid::graph
