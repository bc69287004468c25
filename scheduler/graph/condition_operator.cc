#include "scheduler/graph/condition_operator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flowgrid::graph {
namespace {

// Dify's spellings first: they are what error messages list.
constexpr std::pair<absl::string_view, ConditionOperator> kSpellings[] = {
    {"contains", ConditionOperator::kContains},
    {"not contains", ConditionOperator::kNotContains},
    {"start with", ConditionOperator::kStartWith},
    {"end with", ConditionOperator::kEndWith},
    {"is", ConditionOperator::kIs},
    {"is not", ConditionOperator::kIsNot},
    {"empty", ConditionOperator::kEmpty},
    {"not empty", ConditionOperator::kNotEmpty},
    {"in", ConditionOperator::kIn},
    {"not in", ConditionOperator::kNotIn},
    {"all of", ConditionOperator::kAllOf},
    {"=", ConditionOperator::kEqual},
    {"≠", ConditionOperator::kNotEqual},
    {">", ConditionOperator::kGreater},
    {"<", ConditionOperator::kLess},
    {"≥", ConditionOperator::kGreaterOrEqual},
    {"≤", ConditionOperator::kLessOrEqual},
    {"null", ConditionOperator::kNull},
    {"not null", ConditionOperator::kNotNull},
};

constexpr std::pair<absl::string_view, ConditionOperator> kAsciiAliases[] = {
    {"==", ConditionOperator::kEqual},
    {"!=", ConditionOperator::kNotEqual},
    {">=", ConditionOperator::kGreaterOrEqual},
    {"<=", ConditionOperator::kLessOrEqual},
};

}  // namespace

std::optional<ConditionOperator> ParseConditionOperator(absl::string_view name) {
  for (const auto& [spelling, op] : kSpellings) {
    if (spelling == name) return op;
  }
  for (const auto& [spelling, op] : kAsciiAliases) {
    if (spelling == name) return op;
  }
  return std::nullopt;
}

std::string ConditionOperatorNames() {
  std::vector<std::string> names;
  for (const auto& [spelling, op] : kSpellings) names.push_back(absl::StrCat("\"", spelling, "\""));
  return absl::StrJoin(names, ", ");
}

bool IsUnary(ConditionOperator op) {
  return op == ConditionOperator::kEmpty || op == ConditionOperator::kNotEmpty ||
         op == ConditionOperator::kNull || op == ConditionOperator::kNotNull;
}

bool IsNumeric(ConditionOperator op) {
  return op == ConditionOperator::kEqual || op == ConditionOperator::kNotEqual ||
         op == ConditionOperator::kGreater || op == ConditionOperator::kLess ||
         op == ConditionOperator::kGreaterOrEqual || op == ConditionOperator::kLessOrEqual;
}

}  // namespace flowgrid::graph
