// The nodes the scheduler evaluates itself (no worker): if-else, variable
// aggregator and answer, plus the condition lists shared with loops. Each
// is a pure function of the node's definition and a Resolver that reads
// variables, so that a run and a single-node run (RunNode) share them.
#ifndef FLOWGRID_SCHEDULER_RUN_LOCAL_NODES_H_
#define FLOWGRID_SCHEDULER_RUN_LOCAL_NODES_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "common/value_json.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::run {

// Reads the variable a selector names; null when it has no value.
using Resolver = std::function<v1::Value(const google::protobuf::RepeatedPtrField<std::string>&)>;

// Whether the conditions hold, combined with "and" (default) or "or".
// Errors name the condition (index and selector) and why it cannot be
// evaluated.
absl::StatusOr<bool> EvaluateConditions(
    const google::protobuf::RepeatedPtrField<v1::Condition>& conditions,
    const std::string& logical_operator, const Resolver& resolve);

// The handle of the branch an if-else takes: the first case that holds,
// else "false".
absl::StatusOr<std::string> ChooseBranch(const v1::IfElseNode& node, const Resolver& resolve);

// The aggregator's outputs: "output", or {group: {"output": ...}} grouped.
ValueMap AggregateVariables(const v1::VariableAggregatorNode& node, const Resolver& resolve);

// `text` with its {{#node.var#}} references replaced: strings as they are,
// null as nothing, other values as JSON.
std::string RenderReferences(absl::string_view text, const Resolver& resolve);

}  // namespace flowgrid::run

#endif  // FLOWGRID_SCHEDULER_RUN_LOCAL_NODES_H_
