#include "scheduler/run/local_nodes.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "scheduler/graph/condition_operator.h"
#include "scheduler/graph/plan.h"
#include "scheduler/graph/text_references.h"
#include "scheduler/run/conditions.h"

namespace flowgrid::run {
namespace {

using Strings = google::protobuf::RepeatedPtrField<std::string>;

bool IsNull(const v1::Value& v) {
  return v.has_null_value() || v.kind_case() == v1::Value::KIND_NOT_SET;
}

}  // namespace

std::string RenderReferences(absl::string_view text, const Resolver& resolve) {
  return graph::SubstituteTextReferences(text, [&](const std::vector<std::string>& sel) {
    v1::Value value = resolve(Strings(sel.begin(), sel.end()));
    if (value.has_string_value()) return value.string_value();
    if (IsNull(value)) return std::string();
    absl::StatusOr<std::string> json = ValueToJson(value);
    return json.ok() ? *json : std::string();
  });
}

absl::StatusOr<bool> EvaluateConditions(
    const google::protobuf::RepeatedPtrField<v1::Condition>& conditions,
    const std::string& logical_operator, const Resolver& resolve) {
  bool any = logical_operator == "or";
  for (int k = 0; k < conditions.size(); ++k) {
    const v1::Condition& cond = conditions[k];
    v1::Value actual = resolve(cond.selector());
    v1::Value expected = cond.value();
    if (cond.value_selector_size() >= 2) {
      expected = resolve(cond.value_selector());
    } else if (expected.has_string_value()) {
      // Dify's forms let a constant contain {{#node.var#}} references.
      expected.set_string_value(RenderReferences(expected.string_value(), resolve));
    }
    std::optional<graph::ConditionOperator> op =
        graph::ParseConditionOperator(cond.comparison_operator());
    absl::StatusOr<bool> holds =
        op ? EvaluateCondition(*op, actual, expected)
           : absl::InvalidArgumentError(
                 absl::StrCat("unknown operator \"", cond.comparison_operator(), "\""));
    if (!holds.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("condition ", k, " on [",
                                                     absl::StrJoin(cond.selector(), ", "), "]: ",
                                                     holds.status().message()));
    }
    if (any && *holds) return true;
    if (!any && !*holds) return false;
  }
  return !any;
}

absl::StatusOr<std::string> ChooseBranch(const v1::IfElseNode& node, const Resolver& resolve) {
  for (const v1::IfElseNode::Case& option : node.cases()) {
    absl::StatusOr<bool> holds =
        EvaluateConditions(option.conditions(), option.logical_operator(), resolve);
    if (!holds.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("case \"", option.case_id(), "\": ", holds.status().message()));
    }
    if (*holds) return option.case_id();
  }
  return std::string(graph::kFalseHandle);
}

ValueMap AggregateVariables(const v1::VariableAggregatorNode& node, const Resolver& resolve) {
  auto first_value = [&](const google::protobuf::RepeatedPtrField<v1::Selector>& list) {
    for (const v1::Selector& s : list) {
      v1::Value v = resolve(s.selector());
      if (!IsNull(v)) return v;
    }
    return NullValue();
  };
  ValueMap outputs;
  if (node.groups_size() == 0) {
    outputs["output"] = first_value(node.variables());
    return outputs;
  }
  for (const auto& group : node.groups()) {
    v1::Value grouped;
    (*grouped.mutable_object_value()->mutable_fields())["output"] = first_value(group.variables());
    outputs[group.group_name()] = std::move(grouped);
  }
  return outputs;
}

}  // namespace flowgrid::run
