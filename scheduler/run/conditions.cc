#include "scheduler/run/conditions.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/value_json.h"
#include "common/value_types.h"
#include "google/protobuf/util/message_differencer.h"

namespace flowgrid::run {
namespace {

using graph::ConditionOperator;

bool IsNull(const v1::Value& v) {
  return v.has_null_value() || v.kind_case() == v1::Value::KIND_NOT_SET;
}

bool AsNumber(const v1::Value& v, double* out) {
  if (v.has_int_value()) {
    *out = static_cast<double>(v.int_value());
    return true;
  }
  if (v.has_double_value()) {
    *out = v.double_value();
    return true;
  }
  if (v.has_string_value()) return absl::SimpleAtod(v.string_value(), out);
  if (v.has_bool_value()) {
    *out = v.bool_value() ? 1 : 0;
    return true;
  }
  return false;
}

// Strings as they are, booleans as true/false, other values as JSON.
std::string AsText(const v1::Value& v) {
  if (v.has_string_value()) return v.string_value();
  if (v.has_bool_value()) return v.bool_value() ? "true" : "false";
  absl::StatusOr<std::string> json = ValueToJson(v);
  return json.ok() ? *json : "";
}

bool SameValue(const v1::Value& a, const v1::Value& b) {
  double x, y;
  if ((a.has_int_value() || a.has_double_value()) && AsNumber(a, &x) && AsNumber(b, &y)) {
    return x == y;
  }
  if (a.has_string_value() || b.has_string_value()) return AsText(a) == AsText(b);
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

bool ListHas(const v1::ListValue& list, const v1::Value& item) {
  return std::any_of(list.items().begin(), list.items().end(),
                     [&](const v1::Value& v) { return SameValue(v, item); });
}

absl::Status Unsupported(absl::string_view what, const v1::Value& value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ", got ", ValueKindName(value)));
}

}  // namespace

absl::StatusOr<bool> EvaluateCondition(ConditionOperator op, const v1::Value& actual,
                                       const v1::Value& expected) {
  switch (op) {
    case ConditionOperator::kNull: return IsNull(actual);
    case ConditionOperator::kNotNull: return !IsNull(actual);
    case ConditionOperator::kEmpty:
    case ConditionOperator::kNotEmpty: {
      bool empty = IsNull(actual) || (actual.has_string_value() && actual.string_value().empty()) ||
                   (actual.has_list_value() && actual.list_value().items().empty()) ||
                   (actual.has_object_value() && actual.object_value().fields().empty());
      return op == ConditionOperator::kEmpty ? empty : !empty;
    }
    default:
      break;
  }
  if (IsNull(actual)) return false;
  switch (op) {
    case ConditionOperator::kContains:
    case ConditionOperator::kNotContains: {
      bool contains;
      if (actual.has_string_value()) {
        contains = absl::StrContains(actual.string_value(), AsText(expected));
      } else if (actual.has_list_value()) {
        contains = ListHas(actual.list_value(), expected);
      } else {
        return Unsupported("\"contains\" needs a string or an array", actual);
      }
      return op == ConditionOperator::kContains ? contains : !contains;
    }
    case ConditionOperator::kStartWith:
    case ConditionOperator::kEndWith: {
      if (!actual.has_string_value()) {
        return Unsupported("\"start with\"/\"end with\" need a string", actual);
      }
      return op == ConditionOperator::kStartWith
                 ? absl::StartsWith(actual.string_value(), AsText(expected))
                 : absl::EndsWith(actual.string_value(), AsText(expected));
    }
    case ConditionOperator::kIs:
      return AsText(actual) == AsText(expected);
    case ConditionOperator::kIsNot:
      return AsText(actual) != AsText(expected);
    case ConditionOperator::kIn:
    case ConditionOperator::kNotIn: {
      if (!expected.has_list_value()) {
        return Unsupported("\"in\"/\"not in\" need an array to look in", expected);
      }
      bool in = ListHas(expected.list_value(), actual);
      return op == ConditionOperator::kIn ? in : !in;
    }
    case ConditionOperator::kAllOf: {
      if (!actual.has_list_value()) return Unsupported("\"all of\" needs an array", actual);
      if (!expected.has_list_value()) {
        return Unsupported("\"all of\" needs an array of required items", expected);
      }
      return std::all_of(expected.list_value().items().begin(),
                         expected.list_value().items().end(),
                         [&](const v1::Value& v) { return ListHas(actual.list_value(), v); });
    }
    default: {
      double x, y;
      if (actual.has_string_value() || !AsNumber(actual, &x)) {
        return Unsupported("numeric comparison needs a number", actual);
      }
      if (!AsNumber(expected, &y)) {
        return Unsupported("numeric comparison needs a number to compare with", expected);
      }
      switch (op) {
        case ConditionOperator::kEqual: return x == y;
        case ConditionOperator::kNotEqual: return x != y;
        case ConditionOperator::kGreater: return x > y;
        case ConditionOperator::kLess: return x < y;
        case ConditionOperator::kGreaterOrEqual: return x >= y;
        default: return x <= y;
      }
    }
  }
}

}  // namespace flowgrid::run
