#include "scheduler/graph/plan.h"

#include <algorithm>
#include <numeric>
#include <queue>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/workflow_file.h"
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

TEST(Plan, AmongReadyNodesTheEarliestDeclaredGoesFirst) {
  // A random DAG of 5,000 nodes declared in shuffled order; the reference
  // is Kahn's algorithm with a heap of declaration indices.
  constexpr int kNodes = 5000;
  std::mt19937_64 rng(5);
  std::vector<int> declared(kNodes);
  std::iota(declared.begin(), declared.end(), 0);
  std::shuffle(declared.begin(), declared.end(), rng);
  auto id = [](int t) { return absl::StrCat("t", t); };
  WorkflowBuilder b;
  b.Start("start");
  for (int t : declared) b.Code(id(t), {}, {"v"});
  b.End("end");
  // Node t's predecessors are among the 100 nodes numbered just below it.
  std::vector<std::vector<int>> successors(kNodes);
  b.Edge("start", id(0));
  for (int t = 1; t < kNodes; ++t) {
    std::set<int> parents;
    int count = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int k = 0; k < count; ++k) {
      parents.insert(std::uniform_int_distribution<int>(std::max(0, t - 100), t - 1)(rng));
    }
    for (int p : parents) {
      b.Edge(id(p), id(t));
      successors[p].push_back(t);
    }
  }
  b.Edge(id(kNodes - 1), "end");
  CompileResult r = Plan::Compile(b.Build());
  ASSERT_THAT(Messages(r), ::testing::IsEmpty());

  std::vector<int> position(kNodes);  // declaration index of node t, after start
  for (int i = 0; i < kNodes; ++i) position[declared[i]] = i + 1;
  std::vector<int> pending(kNodes, 0);
  for (const auto& list : successors) {
    for (int t : list) ++pending[t];
  }
  std::vector<std::string> expected = {"start"};
  std::priority_queue<std::pair<int, int>, std::vector<std::pair<int, int>>, std::greater<>> ready;
  ready.push({position[0], 0});
  while (!ready.empty()) {
    int t = ready.top().second;
    ready.pop();
    expected.push_back(id(t));
    for (int w : successors[t]) {
      if (--pending[w] == 0) ready.push({position[w], w});
    }
  }
  expected.push_back("end");  // declared last, its only parent is the last node
  EXPECT_EQ(Order(*r.plan), expected);
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
              UnorderedElementsAre("node a: id: duplicate node id",
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
                          "nodes: workflow has no end or answer node"));

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
                  "if_else, template, variable_aggregator, iteration, loop, assigner, end, "
                  "answer)"));
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
                          "on a start node (expected source)"));
}

}  // namespace
}  // namespace flowgrid::graph

namespace flowgrid::graph {
namespace {

// A workflow around one node under test, given as JSON: start (variables
// s: string, n: number, xs: array[number]) -> prev (code: out string, list
// array[object]) -> NODE -> end.
std::string Around(const std::string& node_json, const std::string& extra_nodes = "",
                   const std::string& extra_edges = "", const std::string& exit_handle = "source") {
  return R"json({
    "nodes": [
      {"id": "start", "start": {"variables": [
        {"name": "s", "type": {"kind": "STRING"}}, {"name": "n", "type": {"kind": "NUMBER"}},
        {"name": "xs", "type": {"kind": "ARRAY_NUMBER"}}]}},
      {"id": "prev", "code": {"language": "PYTHON3", "code": "def main(): pass",
        "outputs": {"out": {"kind": "STRING"}, "list": {"kind": "ARRAY_OBJECT"}}}},
      )json" + node_json + extra_nodes + R"json(,
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "prev"}, {"source": "prev", "target": "node"},
              {"source": "node", "source_handle": ")json" + exit_handle + R"json(", "target": "end"})json" +
         extra_edges + R"json(],
    "environment": [{"name": "TOKEN", "value": {"string_value": "t"}, "secret": true}]})json";
}

std::vector<std::string> Problems(const std::string& json) {
  absl::StatusOr<v1::Workflow> wf = ParseWorkflowJson(json);
  EXPECT_TRUE(wf.ok()) << wf.status();
  std::vector<std::string> out;
  for (const Diagnostic& d : Plan::Compile(*wf).diagnostics) out.push_back(FormatDiagnostic(d));
  return out;
}

struct ValidationCase {
  const char* name;
  std::string workflow;
  std::vector<std::string> problems;
};

TEST(PlanValidation, Table) {
  const ValidationCase cases[] = {
      {"valid if-else with sys and env",
       Around(R"({"id": "node", "if_else": {"cases": [{"case_id": "yes", "conditions": [
         {"selector": ["sys", "query"], "comparison_operator": "contains", "value": {"string_value": "x"}},
         {"selector": ["env", "TOKEN"], "comparison_operator": "not empty"}]}]}})", "", "", "yes"),
       {}},
      {"unknown operator and missing value",
       Around(R"({"id": "node", "if_else": {"cases": [{"case_id": "c", "conditions": [
         {"selector": ["start", "s"], "comparison_operator": "like"},
         {"selector": ["start", "s"], "comparison_operator": "contains"}]}]}})", "", "", "false"),
       {"node node: if_else.cases[0].conditions[0].comparison_operator: unknown operator \"like\" "
        "(expected one of \"contains\", \"not contains\", \"start with\", \"end with\", \"is\", "
        "\"is not\", \"empty\", \"not empty\", \"in\", \"not in\", \"all of\", \"=\", \"≠\", \">\", "
        "\"<\", \"≥\", \"≤\", \"null\", \"not null\")",
        "node node: if_else.cases[0].conditions[1].value: operator \"contains\" needs a value"}},
      {"statically visible type mismatches in conditions",
       Around(R"({"id": "node", "if_else": {"cases": [{"case_id": "c", "conditions": [
         {"selector": ["start", "s"], "comparison_operator": ">", "value": {"int_value": 1}},
         {"selector": ["start", "n"], "comparison_operator": "start with", "value": {"string_value": "1"}}]}]}})",
              "", "", "c"),
       {"node node: if_else.cases[0].conditions[0].comparison_operator: operator \">\" compares "
        "numbers, but [start, s] is string",
        "node node: if_else.cases[0].conditions[1].comparison_operator: operator \"start with\" "
        "needs a string or an array, but [start, n] is number"}},
      {"if-else edge handles",
       Around(R"({"id": "node", "if_else": {"cases": [{"case_id": "c", "conditions": [
         {"selector": ["start", "n"], "comparison_operator": "null"}]}]}})", "",
              R"(, {"source": "node", "source_handle": "maybe", "target": "end"})", "true"),
       {"node node: edges[3].source_handle: handle \"maybe\" does not exist on an if_else node "
        "(expected c, true, false)"}},
      {"unknown sys and env variables",
       Around(R"({"id": "node", "code": {"language": "PYTHON3", "code": "x", "inputs": [
         {"name": "a", "selector": ["sys", "secret"]}, {"name": "b", "selector": ["env", "NOPE"]}]}})"),
       {"node node: code.inputs[0].selector: selector [sys, secret]: \"secret\" is not a system "
        "variable (expected one of query, user_id, files, conversation_id, dialogue_count, "
        "app_id, workflow_id, workflow_run_id)",
        "node node: code.inputs[1].selector: selector [env, NOPE]: environment variable \"NOPE\" "
        "is not defined"}},
      {"iteration over a string and an output outside",
       Around(R"({"id": "node", "iteration": {"iterator_selector": ["start", "s"],
         "output_selector": ["prev", "out"],
         "nodes": [{"id": "inner", "code": {"language": "PYTHON3", "code": "x",
           "inputs": [{"name": "i", "selector": ["node", "item"]}, {"name": "o", "selector": ["prev", "out"]}],
           "outputs": {"v": {"kind": "STRING"}}}}],
         "edges": [{"source": "node", "target": "inner"}]}})"),
       {"node node: iteration.iterator_selector: iterator_selector [start, s] is string; an "
        "iteration needs an array",
        "node node: iteration.output_selector: output_selector [prev, out] must name a node "
        "inside the iteration"}},
      {"inner nodes are not visible outside; no entry edge",
       Around(R"({"id": "node", "iteration": {"iterator_selector": ["prev", "list"],
         "output_selector": ["inner", "v"],
         "nodes": [{"id": "inner", "code": {"language": "PYTHON3", "code": "x",
           "outputs": {"v": {"kind": "STRING"}}}}]}})",
              R"(, {"id": "peek", "code": {"language": "PYTHON3", "code": "x",
                   "inputs": [{"name": "v", "selector": ["inner", "v"]}]}})",
              R"(, {"source": "node", "target": "peek"})"),
       {"node node: iteration.edges: the sub-graph has no entry edge (an edge whose source is "
        "\"node\" itself)"}},
      {"selectors across scopes",
       Around(R"({"id": "node", "iteration": {"iterator_selector": ["prev", "list"],
         "output_selector": ["inner", "v"],
         "nodes": [{"id": "inner", "code": {"language": "PYTHON3", "code": "x",
           "inputs": [{"name": "i", "selector": ["node", "item"]}, {"name": "o", "selector": ["prev", "out"]},
                      {"name": "bad", "selector": ["node", "output"]}],
           "outputs": {"v": {"kind": "STRING"}}}}],
         "edges": [{"source": "node", "target": "inner"}]}})",
              R"(, {"id": "peek", "code": {"language": "PYTHON3", "code": "x",
                   "inputs": [{"name": "v", "selector": ["inner", "v"]}]}})",
              R"(, {"source": "node", "target": "peek"})"),
       {"node peek: code.inputs[0].selector: selector [inner, v] names node \"inner\", which is "
        "not upstream of this node",
        "node inner: code.inputs[2].selector: selector [node, output]: node \"node\" has no "
        "output \"output\""}},
      {"assigner outside a loop; nodes not allowed inside",
       Around(R"({"id": "node", "assigner": {"items": [{"variable_selector": ["x", "y"], "operation": "set"}]}})"),
       {"node node: assigner: an assigner changes loop variables and must be inside a loop"}},
      {"loop variables and assigner items",
       Around(R"({"id": "node", "loop": {"loop_count": 3,
         "loop_variables": [{"name": "acc", "type": {"kind": "NUMBER"}, "value": {"string_value": "0"}}],
         "break_conditions": [{"selector": ["node", "nope"], "comparison_operator": "null"}],
         "nodes": [{"id": "inc", "assigner": {"items": [
           {"variable_selector": ["node", "acc"], "operation": "+=", "value": {"int_value": 1}},
           {"variable_selector": ["node", "missing"], "operation": "set", "value": {"int_value": 1}},
           {"variable_selector": ["node", "acc"], "operation": "**=", "value": {"int_value": 1}},
           {"variable_selector": ["node", "acc"], "operation": "append"}]}},
           {"id": "s2", "start": {}}],
         "edges": [{"source": "node", "target": "inc"}, {"source": "node", "target": "s2"}]}})"),
       {"node node: loop.loop_variables[0].value: value must be number, got string",
        "node inc: assigner.items[1].variable_selector: variable_selector [node, missing] must "
        "name a variable of an enclosing loop: [loop_id, variable]",
        "node inc: assigner.items[2].operation: unknown operation \"**=\" (expected one of "
        "over-write, set, clear, +=, -=, *=, /=, append, extend, remove-first, remove-last)",
        "node inc: assigner.items[3].value: operation \"append\" needs a value or value_selector",
        "node s2: start: a start node is only allowed at the top level, not inside loop node",
        "node s2: loop.edges[1]: a start node cannot have incoming edges"}},
      {"grouped aggregator selectors and type mismatch",
       Around(R"({"id": "node", "variable_aggregator": {"groups": [
         {"group_name": "g", "output_type": {"kind": "NUMBER"},
          "variables": [{"selector": ["start", "n"]}, {"selector": ["prev", "out"]}]}]}})",
              R"(, {"id": "use", "code": {"language": "PYTHON3", "code": "x", "inputs": [
                   {"name": "a", "selector": ["node", "g", "output"]}, {"name": "b", "selector": ["node", "g"]}]}})",
              R"(, {"source": "node", "target": "use"})"),
       {"node node: variable_aggregator.groups[0].variables[1].selector: selector [prev, out] is "
        "string but the aggregator's output_type is number",
        "node use: code.inputs[1].selector: selector [node, g]: a grouped aggregator's outputs "
        "are [node, g, output]"}},
      {"retry bounds and strategies",
       Around(R"({"id": "node", "code": {"language": "PYTHON3", "code": "x",
         "outputs": {"v": {"kind": "NUMBER"}}},
         "retry": {"max_retries": 11, "interval_ms": 6000},
         "error_strategy": {"kind": "DEFAULT_VALUE", "defaults": {"v": {"string_value": "x"}, "w": {"int_value": 1}}}})",
              R"(, {"id": "x1", "answer": {"answer": "hi"}, "retry": {"max_retries": 1}})",
              R"(, {"source": "prev", "target": "x1"})"),
       {"node node: retry.max_retries: must be between 0 and 10",
        "node node: retry.interval_ms: must be between 0 and 5000",
        "node node: error_strategy.defaults.v: default for \"v\" must be number, got string",
        "node node: error_strategy.defaults.w: \"w\" is not an output of this node",
        "node x1: retry: retries and error strategies apply to code, template, iteration and "
        "loop nodes only"}},
      {"fail-branch handles",
       Around(R"({"id": "node", "code": {"language": "JAVASCRIPT", "code": "x",
         "outputs": {"v": {"kind": "NUMBER"}}}, "error_strategy": {"kind": "FAIL_BRANCH"}})",
              R"(, {"id": "fix", "code": {"language": "PYTHON3", "code": "x", "inputs": [
                   {"name": "why", "selector": ["node", "error_message"]}]}})",
              R"(, {"source": "node", "source_handle": "fail-branch", "target": "fix"})"),
       {}},
      {"if-else handles: \"true\" and the first case are distinct, a repeated handle is not",
       Around(R"({"id": "node", "if_else": {"cases": [{"case_id": "c", "conditions": [
         {"selector": ["start", "n"], "comparison_operator": "null"}]}]}})", "",
              R"(, {"source": "node", "source_handle": "true", "target": "end"},
                 {"source": "node", "source_handle": "false", "target": "end"},
                 {"source": "node", "source_handle": "true", "target": "end"})", "c"),
       {"node node: edges[5]: duplicate edge node -> end"}},
      {"fail-branch handles: source and success-branch are distinct, a repeated one is not",
       Around(R"({"id": "node", "code": {"language": "PYTHON3", "code": "x",
         "outputs": {"v": {"kind": "NUMBER"}}}, "error_strategy": {"kind": "FAIL_BRANCH"}})", "",
              R"(, {"source": "node", "target": "end"},
                 {"source": "node", "source_handle": "success-branch", "target": "end"},
                 {"source": "node", "source_handle": "bogus", "target": "end"})",
              "success-branch"),
       {"node node: edges[4]: duplicate edge node -> end",
        "node node: edges[5].source_handle: handle \"bogus\" does not exist on a code node "
        "(expected source, success-branch, fail-branch)"}},
      {"a name repeated in a long list of inputs",
       Around(R"({"id": "node", "code": {"language": "PYTHON3", "code": "x", "inputs": [
         {"name": "a0", "selector": ["start", "s"]}, {"name": "a1", "selector": ["start", "s"]},
         {"name": "a2", "selector": ["start", "s"]}, {"name": "a3", "selector": ["start", "s"]},
         {"name": "a4", "selector": ["start", "s"]}, {"name": "a5", "selector": ["start", "s"]},
         {"name": "a6", "selector": ["start", "s"]}, {"name": "a7", "selector": ["start", "s"]},
         {"name": "a8", "selector": ["start", "s"]}, {"name": "a9", "selector": ["start", "s"]},
         {"name": "a1", "selector": ["start", "s"]}, {"name": "a9", "selector": ["start", "s"]},
         {"name": "a10", "selector": ["start", "s"]}]}})"),
       {"node node: code.inputs[10].name: duplicate name \"a1\"",
        "node node: code.inputs[11].name: duplicate name \"a9\""}},
      {"a cycle inside a loop, the top level acyclic",
       Around(R"({"id": "node", "loop": {"loop_count": 2,
         "nodes": [{"id": "p", "template": {"template": "x"}}, {"id": "q", "template": {"template": "y"}}],
         "edges": [{"source": "node", "target": "p"}, {"source": "p", "target": "q"},
                   {"source": "q", "target": "p"}]}})"),
       {"node p: edges: cycle: p -> q -> p"}},
      {"answer references",
       Around(R"({"id": "node", "answer": {"answer": "{{#prev.out#}} {{#prev.nope#}} {{#ghost.v#}}"}})"),
       {"node node: answer.answer: selector [prev, nope]: node \"prev\" has no output \"nope\"",
        "node node: answer.answer: selector [ghost, v] names node \"ghost\", which does not exist"}},
  };
  for (const ValidationCase& c : cases) {
    EXPECT_THAT(Problems(c.workflow), ::testing::ElementsAreArray(c.problems)) << c.name;
  }
}

}  // namespace
}  // namespace flowgrid::graph
