#include "scheduler/run/assignment.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/value_json.h"
#include "common/value_types.h"

namespace flowgrid::run {
namespace {

v1::Value EmptyOf(const v1::Type& type) {
  v1::Value v;
  switch (type.kind()) {
    case v1::Type::STRING: v.set_string_value(""); break;
    case v1::Type::NUMBER: v.set_int_value(0); break;
    case v1::Type::BOOLEAN: v.set_bool_value(false); break;
    case v1::Type::OBJECT: v.mutable_object_value(); break;
    case v1::Type::ARRAY_STRING:
    case v1::Type::ARRAY_NUMBER:
    case v1::Type::ARRAY_BOOLEAN:
    case v1::Type::ARRAY_OBJECT:
    case v1::Type::ARRAY_ANY: v.mutable_list_value(); break;
    default: v.set_null_value(v1::NULL_VALUE); break;
  }
  return v;
}

bool IsNumber(const v1::Value& v) { return v.has_int_value() || v.has_double_value(); }
double ToDouble(const v1::Value& v) {
  return v.has_int_value() ? static_cast<double>(v.int_value()) : v.double_value();
}

absl::StatusOr<v1::Value> Arithmetic(absl::string_view op, const v1::Value& a, const v1::Value& b) {
  if (!IsNumber(a) || !IsNumber(b)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", op, "\" needs numbers, got ",
                                                   ValueKindName(a), " and ", ValueKindName(b)));
  }
  if (op == "/=" && ToDouble(b) == 0) {
    return absl::InvalidArgumentError("\"/=\" by zero");
  }
  double x = ToDouble(a), y = ToDouble(b);
  double r = op == "+=" ? x + y : op == "-=" ? x - y : op == "*=" ? x * y : x / y;
  bool integral = a.has_int_value() && b.has_int_value() && op != "/=";
  if (integral || (op == "/=" && a.has_int_value() && b.has_int_value() &&
                   a.int_value() % b.int_value() == 0)) {
    // Exact int64 arithmetic where it fits.
    int64_t out;
    bool overflow = op == "+=" ? __builtin_add_overflow(a.int_value(), b.int_value(), &out)
                    : op == "-=" ? __builtin_sub_overflow(a.int_value(), b.int_value(), &out)
                    : op == "*=" ? __builtin_mul_overflow(a.int_value(), b.int_value(), &out)
                                 : (out = a.int_value() / b.int_value(), false);
    if (!overflow) return IntValue(out);
  }
  if (!std::isfinite(r)) return absl::InvalidArgumentError(absl::StrCat("\"", op, "\" overflowed"));
  return DoubleValue(r);
}

}  // namespace

absl::StatusOr<v1::Value> ApplyAssignment(absl::string_view operation, const v1::Type& type,
                                          const v1::Value& current, const v1::Value& operand) {
  absl::StatusOr<v1::Value> result;
  if (operation == "over-write" || operation == "set") {
    result = operand;
  } else if (operation == "clear") {
    result = EmptyOf(type);
  } else if (operation == "+=" || operation == "-=" || operation == "*=" || operation == "/=") {
    result = Arithmetic(operation, current, operand);
  } else if (operation == "append" || operation == "extend" || operation == "remove-first" ||
             operation == "remove-last") {
    if (!current.has_list_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", operation, "\" needs an array variable, got ", ValueKindName(current)));
    }
    v1::Value list = current;
    auto* items = list.mutable_list_value()->mutable_items();
    if (operation == "append") {
      *items->Add() = operand;
    } else if (operation == "extend") {
      if (!operand.has_list_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"extend\" needs an array to add, got ", ValueKindName(operand)));
      }
      for (const v1::Value& item : operand.list_value().items()) *items->Add() = item;
    } else if (!items->empty()) {
      if (operation == "remove-first") {
        items->erase(items->begin());
      } else {
        items->RemoveLast();
      }
    }
    result = list;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown operation \"", operation, "\""));
  }
  if (!result.ok()) return result;
  absl::Status typed = CheckValueType(*result, type, "the new value");
  if (!typed.ok()) return typed;
  return result;
}

}  // namespace flowgrid::run
