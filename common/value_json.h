// Conversion between flowgrid.v1.Value and plain JSON text.
//
// The plain form is what users write (`{"a": [1, 2.5, "x"]}`), unlike the
// protobuf JSON mapping of Value (`{"objectValue": ...}`). Integers that fit
// int64 stay integers, exactly; other numbers become doubles. Non-finite
// doubles have no JSON form and are rejected when encoding.
#ifndef FLOWGRID_COMMON_VALUE_JSON_H_
#define FLOWGRID_COMMON_VALUE_JSON_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "nlohmann/json_fwd.hpp"

namespace flowgrid {

using ValueMap = google::protobuf::Map<std::string, v1::Value>;

// How deeply parsed documents may nest (containers).
inline constexpr int kMaxJsonNesting = 64;

// Parses JSON text into a Value. Errors name the problem; an integer beyond
// int64 is OutOfRange naming its path, never a silently rounded double.
absl::StatusOr<v1::Value> ParseValueJson(absl::string_view text);

// Parses a JSON object into a map of Values (e.g. run inputs).
absl::StatusOr<ValueMap> ParseValueMapJson(absl::string_view text);

// Encodes a Value as compact JSON. Fails only on a non-finite double.
absl::StatusOr<std::string> ValueToJson(const v1::Value& value);
absl::StatusOr<std::string> ValueMapToJson(const ValueMap& values);

// The Value as an nlohmann::json document (to embed it in a larger one).
absl::StatusOr<nlohmann::json> ValueToJsonDocument(const v1::Value& value);

// Reads a command-line `name=value` input: the value is taken as JSON when
// it parses as JSON, otherwise as a plain string (so `q=hello` works).
absl::StatusOr<std::pair<std::string, v1::Value>> ParseNamedInput(
    absl::string_view name_equals_value);

// Convenience constructors.
v1::Value StringValue(absl::string_view s);
v1::Value IntValue(int64_t i);
v1::Value DoubleValue(double d);
v1::Value BoolValue(bool b);
v1::Value NullValue();

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_VALUE_JSON_H_
