// The comparison operators of if-else cases and loop break conditions, in
// Dify's spelling.
#ifndef FLOWGRID_SCHEDULER_GRAPH_CONDITION_OPERATOR_H_
#define FLOWGRID_SCHEDULER_GRAPH_CONDITION_OPERATOR_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace flowgrid::graph {

enum class ConditionOperator {
  kContains,
  kNotContains,
  kStartWith,
  kEndWith,
  kIs,
  kIsNot,
  kEmpty,
  kNotEmpty,
  kIn,
  kNotIn,
  kAllOf,
  kEqual,
  kNotEqual,
  kGreater,
  kLess,
  kGreaterOrEqual,
  kLessOrEqual,
  kNull,
  kNotNull,
};

// Accepts Dify's spellings ("start with", "≠", "≥", ...) and the ASCII
// forms "!=", ">=", "<=", "==".
std::optional<ConditionOperator> ParseConditionOperator(absl::string_view name);

// All accepted spellings, for error messages.
std::string ConditionOperatorNames();

// Operators that take no right-hand side (empty, not empty, null, not null).
bool IsUnary(ConditionOperator op);

// Operators that compare numbers (=, ≠, >, <, ≥, ≤).
bool IsNumeric(ConditionOperator op);

}  // namespace flowgrid::graph

#endif  // FLOWGRID_SCHEDULER_GRAPH_CONDITION_OPERATOR_H_
