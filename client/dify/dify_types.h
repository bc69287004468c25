// Dify's variable types ("string", "array[object]", ...) as flowgrid Types,
// and constants written for a declared type.
#ifndef FLOWGRID_CLIENT_DIFY_DIFY_TYPES_H_
#define FLOWGRID_CLIENT_DIFY_DIFY_TYPES_H_

#include <string>

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "yaml-cpp/yaml.h"

namespace flowgrid::dify {

// A type name as Dify writes it: string, number (integer, float), boolean,
// object, array[string|number|boolean|object|any], any, secret (a string);
// "array_string"-style spellings are read the same. File types and unknown
// names are InvalidArgument naming the type and what flowgrid offers.
absl::StatusOr<v1::Type> ParseType(const std::string& name);

// A code node's declared output: {type, children}, children (for objects)
// being the same shape again, by name. Errors name the child's path.
absl::StatusOr<v1::Type> ParseOutputType(const YAML::Node& declaration);

// A constant as Dify stores it for a variable of `type`: numbers may be
// written as strings ("3"), objects and arrays as JSON text, booleans as
// "true"/"false"; such strings become values of the type. Anything else is
// returned as it is (the workflow check reports a remaining mismatch).
// InvalidArgument when such a string does not parse, naming it.
absl::StatusOr<v1::Value> ConstantOfType(v1::Value value, const v1::Type& type);

}  // namespace flowgrid::dify

#endif  // FLOWGRID_CLIENT_DIFY_DIFY_TYPES_H_
