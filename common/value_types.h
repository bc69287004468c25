// Declared types (flowgrid.v1.Type) and the checks of Values against them.
#ifndef FLOWGRID_COMMON_VALUE_TYPES_H_
#define FLOWGRID_COMMON_VALUE_TYPES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid {

// A Type of the given kind (no object children).
v1::Type MakeType(v1::Type::Kind kind);

// Dify's spelling: "string", "number", "array[object]", ...
std::string TypeName(const v1::Type& type);

// The Value's own shape in the same vocabulary ("number", "array", ...).
std::string ValueKindName(const v1::Value& value);

// OK when `value` conforms to `type`; null conforms to every type (Dify
// lets a code node return None for any output). Otherwise InvalidArgument:
// "<name> must be <type>, got <kind>", naming the offending element.
absl::Status CheckValueType(const v1::Value& value, const v1::Type& type,
                            absl::string_view name);

// Follows `path` into `root`: object keys, or decimal list indices.
// NotFound names the first step that does not exist.
absl::StatusOr<v1::Value> LookupPath(const v1::Value& root,
                                     absl::Span<const std::string> path);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_VALUE_TYPES_H_
