#include "scheduler/graph/run_inputs.h"

#include "common/value_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::graph {
namespace {

using ::testing::UnorderedElementsAre;

std::shared_ptr<const Plan> StartPlan() {
  v1::Workflow wf;
  v1::Node* start = wf.add_nodes();
  start->set_id("start");
  auto add = [&](const char* name, v1::Type::Kind kind, bool required) {
    v1::InputVariable* v = start->mutable_start()->add_variables();
    v->set_name(name);
    v->mutable_type()->set_kind(kind);
    v->set_required(required);
    return v;
  };
  add("text", v1::Type::STRING, true)->set_max_length(5);
  add("count", v1::Type::NUMBER, false);
  *add("flag", v1::Type::BOOLEAN, false)->mutable_default_value() = BoolValue(true);
  v1::InputVariable* color = add("color", v1::Type::STRING, false);
  color->add_options("red");
  color->add_options("blue");
  wf.add_nodes()->set_id("end");
  wf.mutable_nodes(1)->mutable_end();
  wf.add_edges()->set_source("start");
  wf.mutable_edges(0)->set_target("end");
  return Plan::Compile(wf).plan;
}

std::vector<std::string> Messages(const CheckedInputs& r) {
  std::vector<std::string> out;
  for (const Diagnostic& d : r.diagnostics) out.push_back(FormatDiagnostic(d));
  return out;
}

TEST(RunInputs, DefaultsAndNullsAreFilledIn) {
  CheckedInputs r = CheckRunInputs(*StartPlan(), *ParseValueMapJson(R"({"text":"hi"})"));
  ASSERT_TRUE(r.diagnostics.empty()) << Messages(r)[0];
  EXPECT_EQ(r.values.at("text").string_value(), "hi");
  EXPECT_TRUE(r.values.at("flag").bool_value());
  EXPECT_TRUE(r.values.at("count").has_null_value());
}

TEST(RunInputs, EveryProblemIsReported) {
  CheckedInputs r = CheckRunInputs(
      *StartPlan(), *ParseValueMapJson(R"({"count":"3","color":"green","typo":1})"));
  EXPECT_THAT(Messages(r),
              UnorderedElementsAre(
                  "node start: inputs.text: required input \"text\" is missing",
                  "node start: inputs.count: input \"count\" must be number, got string",
                  "node start: inputs.color: input \"color\" must be one of its options",
                  "node start: inputs.typo: input \"typo\" is not a variable of the start node"));
}

TEST(RunInputs, MaxLengthIsEnforced) {
  CheckedInputs r = CheckRunInputs(*StartPlan(), *ParseValueMapJson(R"({"text":"toolong"})"));
  EXPECT_THAT(Messages(r), UnorderedElementsAre("node start: inputs.text: input \"text\" is "
                                                "longer than its max_length 5"));
}

}  // namespace
}  // namespace flowgrid::graph
