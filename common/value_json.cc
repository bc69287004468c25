#include "common/value_json.h"

#include <cmath>
#include <limits>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/json_value_reader.h"
#include "nlohmann/json.hpp"

namespace flowgrid {
namespace {

// OutOfRange naming the first integer that does not fit int64.
absl::Status OutOfRange(const OutOfRangeInteger& integer) {
  std::string where = integer.path.empty() ? "" : absl::StrCat(" at ", absl::StrJoin(integer.path, "."));
  return absl::OutOfRangeError(
      absl::StrCat("integer ", integer.literal, where, " is outside the int64 range"));
}

}  // namespace

absl::StatusOr<nlohmann::json> ValueToJsonDocument(const v1::Value& value) {
  switch (value.kind_case()) {
    case v1::Value::KIND_NOT_SET:
    case v1::Value::kNullValue:
      return nlohmann::json(nullptr);
    case v1::Value::kBoolValue:
      return nlohmann::json(value.bool_value());
    case v1::Value::kIntValue:
      return nlohmann::json(value.int_value());
    case v1::Value::kDoubleValue:
      if (!std::isfinite(value.double_value())) {
        return absl::InvalidArgumentError(
            absl::StrCat("number ", value.double_value(), " has no JSON form"));
      }
      return nlohmann::json(value.double_value());
    case v1::Value::kStringValue:
      return nlohmann::json(value.string_value());
    case v1::Value::kListValue: {
      nlohmann::json out = nlohmann::json::array();
      for (const v1::Value& item : value.list_value().items()) {
        absl::StatusOr<nlohmann::json> j = ValueToJsonDocument(item);
        if (!j.ok()) return j.status();
        out.push_back(*std::move(j));
      }
      return out;
    }
    case v1::Value::kObjectValue: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, item] : value.object_value().fields()) {
        absl::StatusOr<nlohmann::json> j = ValueToJsonDocument(item);
        if (!j.ok()) return j.status();
        out[key] = *std::move(j);
      }
      return out;
    }
  }
  return absl::InternalError("unknown Value kind");
}

absl::StatusOr<v1::Value> ParseValueJson(absl::string_view text) {
  absl::StatusOr<ReadJson> read = ReadJsonValue(text, kMaxJsonNesting);
  if (!read.ok()) return read.status();
  if (!read->out_of_range_integers.empty()) return OutOfRange(read->out_of_range_integers[0]);
  return std::move(read->value);
}

absl::StatusOr<ValueMap> ParseValueMapJson(absl::string_view text) {
  absl::StatusOr<v1::Value> value = ParseValueJson(text);
  if (!value.ok()) return value.status();
  if (!value->has_object_value()) {
    return absl::InvalidArgumentError("expected a JSON object");
  }
  return value->object_value().fields();
}

absl::StatusOr<std::string> ValueToJson(const v1::Value& value) {
  absl::StatusOr<nlohmann::json> doc = ValueToJsonDocument(value);
  if (!doc.ok()) return doc.status();
  return doc->dump();
}

absl::StatusOr<std::string> ValueMapToJson(const ValueMap& values) {
  v1::Value object;
  *object.mutable_object_value()->mutable_fields() = values;
  return ValueToJson(object);
}

absl::StatusOr<std::pair<std::string, v1::Value>> ParseNamedInput(
    absl::string_view name_equals_value) {
  size_t eq = name_equals_value.find('=');
  if (eq == absl::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "input \"", name_equals_value, "\" is not of the form name=value"));
  }
  std::string name(name_equals_value.substr(0, eq));
  absl::string_view raw = name_equals_value.substr(eq + 1);
  absl::StatusOr<ReadJson> read = ReadJsonValue(raw, kMaxJsonNesting);
  if (!read.ok()) return std::make_pair(name, StringValue(raw));
  absl::StatusOr<v1::Value> value =
      read->out_of_range_integers.empty()
          ? absl::StatusOr<v1::Value>(std::move(read->value))
          : absl::StatusOr<v1::Value>(OutOfRange(read->out_of_range_integers[0]));
  if (!value.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("input \"", name, "\": ", value.status().message()));
  }
  return std::make_pair(name, *std::move(value));
}

v1::Value StringValue(absl::string_view s) {
  v1::Value v;
  v.set_string_value(std::string(s));
  return v;
}
v1::Value IntValue(int64_t i) {
  v1::Value v;
  v.set_int_value(i);
  return v;
}
v1::Value DoubleValue(double d) {
  v1::Value v;
  v.set_double_value(d);
  return v;
}
v1::Value BoolValue(bool b) {
  v1::Value v;
  v.set_bool_value(b);
  return v;
}
v1::Value NullValue() {
  v1::Value v;
  v.set_null_value(v1::NULL_VALUE);
  return v;
}

}  // namespace flowgrid
