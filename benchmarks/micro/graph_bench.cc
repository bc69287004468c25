// Graph validation + topological ordering (graph::Plan::Compile) of chains,
// wide fans and layered random DAGs of 10, 1,000 and 10,000 nodes, and of
// Dify-like workflows mixing code, if-else, template, aggregator and end
// nodes whose selectors read typed outputs upstream.
// Target (issue 6): a 10,000-node DAG validated and ordered in <= 10 ms.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "benchmarks/micro/workflow_shapes.h"
#include "scheduler/graph/plan.h"

namespace flowgrid::bench {
namespace {

void AddSelector(google::protobuf::RepeatedPtrField<std::string>* selector,
                 const std::string& node, const std::string& variable) {
  selector->Add(std::string(node));
  selector->Add(std::string(variable));
}

v1::CodeNode* AddCode(v1::Workflow& wf, const std::string& id) {
  v1::Node* node = wf.add_nodes();
  node->set_id(id);
  v1::CodeNode* code = node->mutable_code();
  code->set_language(v1::CodeNode::PYTHON3);
  code->set_code("def main(text: str, before: str) -> dict:\n"
                 "    return {'result': text + before, 'status': 'ok', 'score': 0.9}\n");
  (*code->mutable_outputs())["result"].set_kind(v1::Type::STRING);
  (*code->mutable_outputs())["status"].set_kind(v1::Type::STRING);
  (*code->mutable_outputs())["score"].set_kind(v1::Type::NUMBER);
  return code;
}

void AddInput(google::protobuf::RepeatedPtrField<v1::VariableBinding>* inputs,
              const std::string& name, const std::string& node, const std::string& variable) {
  v1::VariableBinding* input = inputs->Add();
  input->set_name(name);
  AddSelector(input->mutable_selector(), node, variable);
}

void AddEdge(v1::Workflow& wf, const std::string& source, const std::string& target,
             const std::string& handle = "source") {
  v1::Edge* edge = wf.add_edges();
  edge->set_source(source);
  edge->set_target(target);
  edge->set_source_handle(handle);
}

// A Dify-like workflow of exactly `nodes` nodes (at least 7): start ("s",
// input "x"), then blocks of five — a code node reading the previous
// block's result and ["s", "x"]; an if-else testing the code's typed
// outputs (one condition against a value selector, one numeric) with an
// "ok" case and the else branch; a template on the "ok" branch and a code
// node on the else branch; an aggregator joining the two branches — then
// templates chained to fill the count, and an end node.
v1::Workflow DifyLike(int nodes) {
  v1::Workflow wf;
  v1::Node* start = wf.add_nodes();
  start->set_id("s");
  v1::InputVariable* x = start->mutable_start()->add_variables();
  x->set_name("x");
  x->mutable_type()->set_kind(v1::Type::STRING);
  std::string last = "s";
  std::vector<std::string> value = {"s", "x"};
  int blocks = (nodes - 2) / 5;
  for (int b = 0; b < blocks; ++b) {
    std::string code = absl::StrCat("code", b), branch = absl::StrCat("if", b),
                text = absl::StrCat("tpl", b), fix = absl::StrCat("fix", b),
                join = absl::StrCat("agg", b);
    v1::CodeNode* c = AddCode(wf, code);
    AddInput(c->mutable_inputs(), "text", "s", "x");
    AddInput(c->mutable_inputs(), "before", value[0], value[1]);
    AddEdge(wf, last, code);

    v1::Node* f = wf.add_nodes();
    f->set_id(branch);
    v1::IfElseNode::Case* ok = f->mutable_if_else()->add_cases();
    ok->set_case_id("ok");
    ok->set_logical_operator("and");
    v1::Condition* same = ok->add_conditions();
    AddSelector(same->mutable_selector(), code, "status");
    same->set_comparison_operator("is");
    AddSelector(same->mutable_value_selector(), "s", "x");
    v1::Condition* high = ok->add_conditions();
    AddSelector(high->mutable_selector(), code, "score");
    high->set_comparison_operator("≥");
    high->mutable_value()->set_double_value(0.5);
    AddEdge(wf, code, branch);

    v1::Node* t = wf.add_nodes();
    t->set_id(text);
    t->mutable_template_()->set_template_("{{ result }} ({{ x }})");
    AddInput(t->mutable_template_()->mutable_variables(), "result", code, "result");
    AddInput(t->mutable_template_()->mutable_variables(), "x", "s", "x");
    AddEdge(wf, branch, text, "ok");

    v1::CodeNode* d = AddCode(wf, fix);
    AddInput(d->mutable_inputs(), "text", code, "result");
    AddInput(d->mutable_inputs(), "before", "s", "x");
    AddEdge(wf, branch, fix, "false");

    v1::Node* a = wf.add_nodes();
    a->set_id(join);
    v1::VariableAggregatorNode* agg = a->mutable_variable_aggregator();
    agg->mutable_output_type()->set_kind(v1::Type::STRING);
    AddSelector(agg->add_variables()->mutable_selector(), text, "output");
    AddSelector(agg->add_variables()->mutable_selector(), fix, "result");
    AddEdge(wf, text, join);
    AddEdge(wf, fix, join);
    last = join;
    value = {join, "output"};
  }
  for (int i = 0; i < (nodes - 2) % 5; ++i) {
    std::string id = absl::StrCat("pad", i);
    v1::Node* t = wf.add_nodes();
    t->set_id(id);
    t->mutable_template_()->set_template_("{{ v }}");
    AddInput(t->mutable_template_()->mutable_variables(), "v", value[0], value[1]);
    AddEdge(wf, last, id);
    last = id;
    value = {id, "output"};
  }
  v1::Node* end = wf.add_nodes();
  end->set_id("e");
  AddInput(end->mutable_end()->mutable_outputs(), "out", value[0], value[1]);
  AddEdge(wf, last, "e");
  return wf;
}

void CompileRepeatedly(benchmark::State& state, const v1::Workflow& workflow) {
  graph::CompileResult check = graph::Plan::Compile(workflow);
  if (!check.diagnostics.empty()) {
    state.SkipWithError(absl::StrCat("invalid workflow: ",
                                        graph::FormatDiagnostic(check.diagnostics.front()))
                            .c_str());
    return;
  }
  graph::CompileResult result;
  for (auto _ : state) {
    // Compile takes the workflow by value (the engine moves it in), and the
    // plan is freed when its last run ends: neither copy nor free is part
    // of what is measured.
    state.PauseTiming();
    result = {};
    v1::Workflow copy = workflow;
    state.ResumeTiming();
    result = graph::Plan::Compile(std::move(copy));
    benchmark::DoNotOptimize(result.plan);
  }
  state.SetItemsProcessed(state.iterations() * workflow.nodes_size());
}

void BM_CompilePlan(benchmark::State& state, Shape shape) {
  CompileRepeatedly(state, MakeWorkflow(shape, static_cast<int>(state.range(0))));
}

void BM_CompileDifyLike(benchmark::State& state) {
  CompileRepeatedly(state, DifyLike(static_cast<int>(state.range(0))));
}

BENCHMARK_CAPTURE(BM_CompilePlan, chain, Shape::kChain)
    ->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CompilePlan, fan, Shape::kFan)
    ->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_CompilePlan, layered, Shape::kLayered)
    ->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CompileDifyLike)->Arg(10)->Arg(1000)->Arg(10000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace flowgrid::bench

BENCHMARK_MAIN();
