#include "client/dify/dify_types.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/dify/yaml_value.h"
#include "common/value_json.h"
#include "common/value_types.h"

namespace flowgrid::dify {
namespace {

constexpr char kKnownTypes[] =
    "string, number, boolean, object, array[string], array[number], array[boolean], "
    "array[object], array[any], any";

absl::StatusOr<v1::Type> ParseOutputTypeAt(const YAML::Node& declaration,
                                           const std::string& path) {
  std::string name = TextField(declaration, "type");
  absl::StatusOr<v1::Type> type = ParseType(name);
  if (!type.ok()) return type.status();
  YAML::Node children = Field(declaration, "children");
  if (type->kind() != v1::Type::OBJECT || !Present(children) || !children.IsMap()) return type;
  for (const auto& child : children) {
    const std::string child_path = path.empty() ? child.first.Scalar()
                                                : absl::StrCat(path, ".", child.first.Scalar());
    absl::StatusOr<v1::Type> child_type = ParseOutputTypeAt(child.second, child_path);
    if (!child_type.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("child ", child_path, ": ", child_type.status().message()));
    }
    (*type->mutable_children())[child.first.Scalar()] = *std::move(child_type);
  }
  return type;
}

}  // namespace

absl::StatusOr<v1::Type> ParseType(const std::string& name) {
  std::string key = absl::AsciiStrToLower(name);
  // "array_string" (as some generators write it) is "array[string]".
  if (absl::StartsWith(key, "array_")) key = absl::StrCat("array[", key.substr(6), "]");
  v1::Type::Kind kind = v1::Type::KIND_UNSPECIFIED;
  if (key == "string" || key == "secret") kind = v1::Type::STRING;
  if (key == "number" || key == "integer" || key == "float") kind = v1::Type::NUMBER;
  if (key == "boolean") kind = v1::Type::BOOLEAN;
  if (key == "object") kind = v1::Type::OBJECT;
  if (key == "any") kind = v1::Type::ANY;
  if (key == "array[string]") kind = v1::Type::ARRAY_STRING;
  if (key == "array[number]") kind = v1::Type::ARRAY_NUMBER;
  if (key == "array[boolean]") kind = v1::Type::ARRAY_BOOLEAN;
  if (key == "array[object]") kind = v1::Type::ARRAY_OBJECT;
  if (key == "array[any]" || key == "array") kind = v1::Type::ARRAY_ANY;
  if (kind != v1::Type::KIND_UNSPECIFIED) return MakeType(kind);
  if (key == "file" || key == "array[file]") {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", name, "\": flowgrid has no file values"));
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no type (expected one of ", kKnownTypes, ")"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown type \"", name, "\" (expected one of ", kKnownTypes, ")"));
}

absl::StatusOr<v1::Type> ParseOutputType(const YAML::Node& declaration) {
  return ParseOutputTypeAt(declaration, "");
}

absl::StatusOr<v1::Value> ConstantOfType(v1::Value value, const v1::Type& type) {
  if (!value.has_string_value()) return value;
  const std::string text(absl::StripAsciiWhitespace(value.string_value()));
  switch (type.kind()) {
    case v1::Type::NUMBER: {
      int64_t i = 0;
      if (absl::SimpleAtoi(text, &i)) return IntValue(i);
      double d = 0;
      if (absl::SimpleAtod(text, &d)) return DoubleValue(d);
      return absl::InvalidArgumentError(
          absl::StrCat("\"", value.string_value(), "\" is not a number"));
    }
    case v1::Type::BOOLEAN:
      if (text == "true") return BoolValue(true);
      if (text == "false") return BoolValue(false);
      return absl::InvalidArgumentError(
          absl::StrCat("\"", value.string_value(), "\" is not a boolean (true or false)"));
    case v1::Type::OBJECT:
    case v1::Type::ARRAY_STRING:
    case v1::Type::ARRAY_NUMBER:
    case v1::Type::ARRAY_BOOLEAN:
    case v1::Type::ARRAY_OBJECT:
    case v1::Type::ARRAY_ANY: {
      absl::StatusOr<v1::Value> parsed = ParseValueJson(text);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("\"", value.string_value(), "\" is not ",
                                                       TypeName(type), " JSON: ",
                                                       parsed.status().message()));
      }
      return parsed;
    }
    default:
      return value;
  }
}

}  // namespace flowgrid::dify
