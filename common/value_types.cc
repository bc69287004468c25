#include "common/value_types.h"

#include "absl/strings/string_view.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowgrid {
namespace {

bool IsNumber(const v1::Value& v) {
  return v.has_int_value() || v.has_double_value();
}

v1::Type::Kind ElementKind(v1::Type::Kind array_kind) {
  switch (array_kind) {
    case v1::Type::ARRAY_STRING: return v1::Type::STRING;
    case v1::Type::ARRAY_NUMBER: return v1::Type::NUMBER;
    case v1::Type::ARRAY_BOOLEAN: return v1::Type::BOOLEAN;
    case v1::Type::ARRAY_OBJECT: return v1::Type::OBJECT;
    default: return v1::Type::ANY;
  }
}

absl::Status Mismatch(absl::string_view name, const v1::Type& type,
                      const v1::Value& value) {
  return absl::InvalidArgumentError(absl::StrCat(
      name, " must be ", TypeName(type), ", got ", ValueKindName(value)));
}

}  // namespace

v1::Type MakeType(v1::Type::Kind kind) {
  v1::Type type;
  type.set_kind(kind);
  return type;
}

std::string TypeName(const v1::Type& type) {
  switch (type.kind()) {
    case v1::Type::STRING: return "string";
    case v1::Type::NUMBER: return "number";
    case v1::Type::BOOLEAN: return "boolean";
    case v1::Type::OBJECT: return "object";
    case v1::Type::ARRAY_STRING: return "array[string]";
    case v1::Type::ARRAY_NUMBER: return "array[number]";
    case v1::Type::ARRAY_BOOLEAN: return "array[boolean]";
    case v1::Type::ARRAY_OBJECT: return "array[object]";
    case v1::Type::ARRAY_ANY: return "array";
    case v1::Type::ANY: return "any";
    default: return "unspecified";
  }
}

std::string ValueKindName(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::kBoolValue: return "boolean";
    case v1::Value::kIntValue:
    case v1::Value::kDoubleValue: return "number";
    case v1::Value::kStringValue: return "string";
    case v1::Value::kListValue: return "array";
    case v1::Value::kObjectValue: return "object";
    default: return "null";
  }
}

absl::Status CheckValueType(const v1::Value& value, const v1::Type& type,
                            absl::string_view name) {
  if (value.has_null_value() || value.kind_case() == v1::Value::KIND_NOT_SET) {
    return absl::OkStatus();
  }
  switch (type.kind()) {
    case v1::Type::KIND_UNSPECIFIED:
    case v1::Type::ANY:
      return absl::OkStatus();
    case v1::Type::STRING:
      return value.has_string_value() ? absl::OkStatus() : Mismatch(name, type, value);
    case v1::Type::NUMBER:
      return IsNumber(value) ? absl::OkStatus() : Mismatch(name, type, value);
    case v1::Type::BOOLEAN:
      return value.has_bool_value() ? absl::OkStatus() : Mismatch(name, type, value);
    case v1::Type::OBJECT: {
      if (!value.has_object_value()) return Mismatch(name, type, value);
      const auto& fields = value.object_value().fields();
      for (const auto& [child_name, child_type] : type.children()) {
        auto it = fields.find(child_name);
        if (it == fields.end()) continue;
        absl::Status s = CheckValueType(it->second, child_type,
                                        absl::StrCat(name, ".", child_name));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    default: {
      if (!value.has_list_value()) return Mismatch(name, type, value);
      v1::Type element;
      element.set_kind(ElementKind(type.kind()));
      const auto& items = value.list_value().items();
      for (int i = 0; i < items.size(); ++i) {
        // Dify rejects null elements inside typed arrays.
        if (element.kind() != v1::Type::ANY &&
            (items[i].has_null_value() ||
             items[i].kind_case() == v1::Value::KIND_NOT_SET)) {
          return absl::InvalidArgumentError(absl::StrCat(
              name, "[", i, "] must be ", TypeName(element), ", got null"));
        }
        absl::Status s =
            CheckValueType(items[i], element, absl::StrCat(name, "[", i, "]"));
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
  }
}

absl::StatusOr<v1::Value> LookupPath(const v1::Value& root,
                                     absl::Span<const std::string> path) {
  const v1::Value* current = &root;
  for (const std::string& step : path) {
    if (current->has_object_value()) {
      const auto& fields = current->object_value().fields();
      auto it = fields.find(step);
      if (it == fields.end()) {
        return absl::NotFoundError(absl::StrCat("no key \"", step, "\""));
      }
      current = &it->second;
    } else if (current->has_list_value()) {
      int index = 0;
      const auto& items = current->list_value().items();
      if (!absl::SimpleAtoi(step, &index) || index < 0 || index >= items.size()) {
        return absl::NotFoundError(absl::StrCat(
            "no index ", step, " in an array of ", items.size()));
      }
      current = &items[index];
    } else {
      return absl::NotFoundError(absl::StrCat(
          "cannot take \"", step, "\" of a ", ValueKindName(*current)));
    }
  }
  return *current;
}

}  // namespace flowgrid
