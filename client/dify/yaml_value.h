// Reading a parsed Dify YAML document: fields, texts, selectors and values.
//
// Dify writes its files with PyYAML, so a plain (unquoted) scalar is typed
// as YAML 1.1 types it: `3` is an integer, `true`/`yes`/`on` booleans, `~`
// null; a quoted or block scalar is always a string ('3' stays "3").
#ifndef FLOWGRID_CLIENT_DIFY_YAML_VALUE_H_
#define FLOWGRID_CLIENT_DIFY_YAML_VALUE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "flowgrid/v1/workflow.pb.h"
#include "yaml-cpp/yaml.h"

namespace flowgrid::dify {

// map[key], or an undefined node when `map` is not a map or lacks the key
// (never inserts, never throws).
YAML::Node Field(const YAML::Node& map, const char* key);

// Defined and not null.
bool Present(const YAML::Node& node);

// The text of a scalar (numbers and booleans as written: an id written
// 1718000000000 is "1718000000000"); nullopt for anything else.
std::optional<std::string> Text(const YAML::Node& node);

// Text(map[key]), or `fallback` when the field is missing, null or not a
// scalar.
std::string TextField(const YAML::Node& map, const char* key, const std::string& fallback = "");

// A plain scalar's YAML 1.1 boolean (true/false, yes/no, on/off in any of
// their three casings); nullopt for anything else.
std::optional<bool> Bool(const YAML::Node& node);

// The scalar as an integer (a quoted "3" too); nullopt when it is none.
std::optional<int64_t> Integer(const YAML::Node& node);

// A selector: a sequence of scalars, each as its Text. InvalidArgument when
// the node is not a sequence of scalars.
absl::StatusOr<std::vector<std::string>> Selector(const YAML::Node& node);

// The node as a Value: plain scalars typed as above, other scalars strings,
// sequences lists, maps objects. InvalidArgument beyond 64 levels of nesting
// or a million elements (YAML aliases can repeat a value many times over).
absl::StatusOr<v1::Value> ToValue(const YAML::Node& node);

}  // namespace flowgrid::dify

#endif  // FLOWGRID_CLIENT_DIFY_YAML_VALUE_H_
