#include "tests/chaos/chaos_workload.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::chaos {
namespace {

constexpr int64_t kMixModulus = 1'000'000'007;
constexpr int64_t kMixFactor = 48271;
constexpr int64_t kTailModulus = 2'147'483'647;
constexpr int64_t kTailFactor = 69621;
constexpr int64_t kShoutModulus = 1'000'003;

using Bindings = std::vector<std::pair<std::string, std::vector<std::string>>>;

v1::Type TypeOf(v1::Type::Kind kind) {
  v1::Type type;
  type.set_kind(kind);
  return type;
}

v1::CodeNode* AddCode(v1::Workflow& workflow, const std::string& id,
                      v1::CodeNode::Language language, std::string code,
                      const Bindings& inputs) {
  v1::Node* node = workflow.add_nodes();
  node->set_id(id);
  v1::CodeNode* body = node->mutable_code();
  body->set_language(language);
  body->set_code(std::move(code));
  for (const auto& [name, selector] : inputs) {
    v1::VariableBinding* binding = body->add_inputs();
    binding->set_name(name);
    for (const std::string& part : selector) binding->add_selector(part);
  }
  return body;
}

void AddEdge(v1::Workflow& workflow, const std::string& source, const std::string& target,
             const std::string& handle = "source") {
  v1::Edge* edge = workflow.add_edges();
  edge->set_source(source);
  edge->set_target(target);
  edge->set_source_handle(handle);
}

// x_{i+1} = (x_i * factor + i) mod modulus, `rounds` times: the loop the
// Python nodes run.
int64_t Lcg(int64_t seed, int64_t factor, int64_t modulus, int rounds) {
  int64_t v = seed % modulus;
  for (int i = 0; i < rounds; ++i) v = (v * factor + i) % modulus;
  return v;
}

std::string PythonLcg(const std::string& params, const std::string& seed, int64_t factor,
                      int64_t modulus, int rounds, const std::string& result) {
  return absl::StrCat("def main(", params, ") -> dict:\n",
                      "    v = ", seed, " % ", modulus, "\n",
                      "    for i in range(", rounds, "):\n",
                      "        v = (v * ", factor, " + i) % ", modulus, "\n",
                      "    return ", result, "\n");
}

}  // namespace

v1::Workflow ChaosWorkflow(const WorkloadOptions& options) {
  v1::Workflow workflow;
  workflow.set_name("chaos");

  v1::Node* start = workflow.add_nodes();
  start->set_id("start");
  for (const auto& [name, kind] : {std::pair{"x", v1::Type::NUMBER},
                                   std::pair{"label", v1::Type::STRING}}) {
    v1::InputVariable* variable = start->mutable_start()->add_variables();
    variable->set_name(name);
    *variable->mutable_type() = TypeOf(kind);
    variable->set_required(true);
  }

  v1::CodeNode* mix = AddCode(
      workflow, "mix", v1::CodeNode::PYTHON3,
      PythonLcg("x: int", "x", kMixFactor, kMixModulus, options.work,
                "{\"h\": v, \"route\": \"js\" if v % 4 == 0 else \"py\"}"),
      {{"x", {"start", "x"}}});
  (*mix->mutable_outputs())["h"] = TypeOf(v1::Type::NUMBER);
  (*mix->mutable_outputs())["route"] = TypeOf(v1::Type::STRING);
  AddEdge(workflow, "start", "mix");

  v1::Node* route = workflow.add_nodes();
  route->set_id("route");
  v1::IfElseNode::Case* to_js = route->mutable_if_else()->add_cases();
  to_js->set_case_id("js");
  v1::Condition* condition = to_js->add_conditions();
  condition->add_selector("mix");
  condition->add_selector("route");
  condition->set_comparison_operator("is");
  condition->mutable_value()->set_string_value("js");
  AddEdge(workflow, "mix", "route");

  v1::CodeNode* shout = AddCode(
      workflow, "shout", v1::CodeNode::JAVASCRIPT,
      absl::StrCat("async function main({ h, label }) {\n",
                   "  await new Promise((resolve) => setTimeout(resolve, ", options.js_sleep_ms,
                   "));\n",
                   "  return { word: label.toUpperCase() + \"#\" + (h % ", kShoutModulus,
                   ") };\n", "}\n"),
      {{"h", {"mix", "h"}}, {"label", {"start", "label"}}});
  (*shout->mutable_outputs())["word"] = TypeOf(v1::Type::STRING);
  AddEdge(workflow, "route", "shout", "js");

  v1::CodeNode* tail = AddCode(
      workflow, "tail", v1::CodeNode::PYTHON3,
      PythonLcg("h: int, label: str", "h", kTailFactor, kTailModulus, options.work,
                "{\"word\": label + \":\" + str(v)}"),
      {{"h", {"mix", "h"}}, {"label", {"start", "label"}}});
  (*tail->mutable_outputs())["word"] = TypeOf(v1::Type::STRING);
  AddEdge(workflow, "route", "tail", "false");

  v1::Node* pick = workflow.add_nodes();
  pick->set_id("pick");
  v1::VariableAggregatorNode* aggregator = pick->mutable_variable_aggregator();
  *aggregator->mutable_output_type() = TypeOf(v1::Type::STRING);
  for (const std::string branch : {"shout", "tail"}) {
    v1::Selector* selector = aggregator->add_variables();
    selector->add_selector(branch);
    selector->add_selector("word");
    AddEdge(workflow, branch, "pick");
  }

  v1::Node* end = workflow.add_nodes();
  end->set_id("end");
  for (const auto& [name, selector] : Bindings{{"h", {"mix", "h"}},
                                               {"route", {"mix", "route"}},
                                               {"word", {"pick", "output"}}}) {
    v1::VariableBinding* output = end->mutable_end()->add_outputs();
    output->set_name(name);
    for (const std::string& part : selector) output->add_selector(part);
  }
  AddEdge(workflow, "pick", "end");
  return workflow;
}

namespace {

int64_t SeedOf(int index) { return int64_t{index} * 7919 + 17; }
std::string LabelOf(int index) { return absl::StrCat("run-", index); }

}  // namespace

ValueMap RunInputs(int index) {
  ValueMap inputs;
  inputs["x"] = IntValue(SeedOf(index));
  inputs["label"] = StringValue(LabelOf(index));
  return inputs;
}

ExpectedOutputs Expected(int index, const WorkloadOptions& options) {
  ExpectedOutputs expected;
  expected.h = Lcg(SeedOf(index), kMixFactor, kMixModulus, options.work);
  const std::string label = LabelOf(index);
  if (expected.h % 4 == 0) {
    expected.route = "js";
    expected.word = absl::StrCat(absl::AsciiStrToUpper(label), "#", expected.h % kShoutModulus);
  } else {
    expected.route = "py";
    expected.word =
        absl::StrCat(label, ":", Lcg(expected.h, kTailFactor, kTailModulus, options.work));
  }
  return expected;
}

}  // namespace flowgrid::chaos
