#include "client/dify/yaml_value.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/value_json.h"

namespace flowgrid::dify {
namespace {

// A scalar PyYAML would type (plain, or tagged with a non-string tag).
bool IsPlain(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  return tag != "!" && tag != "tag:yaml.org,2002:str";
}

// YAML 1.1's integers and floats in decimal: digits with optional "_"
// separators, a sign, and for floats a fraction and exponent.
bool LooksNumeric(const std::string& text) {
  bool digit = false;
  for (char c : text) {
    if (absl::ascii_isdigit(c)) {
      digit = true;
    } else if (c != '_' && c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-') {
      return false;
    }
  }
  return digit;
}

// Aliases let a few lines of YAML name exponentially many values; a value
// of the DSL is never near this many.
constexpr int kMaxValueElements = 1'000'000;

absl::StatusOr<v1::Value> ToValueAt(const YAML::Node& node, int depth, int& budget) {
  if (depth > kMaxJsonNesting) {
    return absl::InvalidArgumentError(
        absl::StrCat("value nests deeper than ", kMaxJsonNesting, " levels"));
  }
  if (--budget < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("value has more than ", kMaxValueElements, " elements"));
  }
  v1::Value value;
  if (!Present(node)) return NullValue();
  if (node.IsSequence()) {
    for (const YAML::Node& item : node) {
      absl::StatusOr<v1::Value> converted = ToValueAt(item, depth + 1, budget);
      if (!converted.ok()) return converted.status();
      *value.mutable_list_value()->add_items() = *std::move(converted);
    }
    if (node.size() == 0) value.mutable_list_value();
    return value;
  }
  if (node.IsMap()) {
    auto* fields = value.mutable_object_value()->mutable_fields();
    for (const auto& entry : node) {
      absl::StatusOr<v1::Value> converted = ToValueAt(entry.second, depth + 1, budget);
      if (!converted.ok()) return converted.status();
      (*fields)[entry.first.Scalar()] = *std::move(converted);
    }
    return value;
  }
  const std::string& text = node.Scalar();
  if (!IsPlain(node)) return StringValue(text);
  if (std::optional<bool> b = Bool(node); b.has_value()) return BoolValue(*b);
  if (LooksNumeric(text)) {
    std::string digits = absl::StrReplaceAll(text, {{"_", ""}});
    int64_t i = 0;
    if (absl::SimpleAtoi(digits, &i)) return IntValue(i);
    double d = 0;
    if (absl::SimpleAtod(digits, &d)) return DoubleValue(d);
  }
  return StringValue(text);
}

}  // namespace

YAML::Node Field(const YAML::Node& map, const char* key) {
  if (map.IsDefined() && map.IsMap()) {
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) return entry.second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

bool Present(const YAML::Node& node) { return node.IsDefined() && !node.IsNull(); }

std::optional<std::string> Text(const YAML::Node& node) {
  if (!Present(node) || !node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

std::string TextField(const YAML::Node& map, const char* key, const std::string& fallback) {
  return Text(Field(map, key)).value_or(fallback);
}

std::optional<bool> Bool(const YAML::Node& node) {
  if (!Present(node) || !node.IsScalar() || !IsPlain(node)) return std::nullopt;
  static constexpr std::array<const char*, 3> kTrue = {"true", "yes", "on"};
  static constexpr std::array<const char*, 3> kFalse = {"false", "no", "off"};
  const std::string& text = node.Scalar();
  // YAML 1.1 allows "true", "True" and "TRUE", not "tRUE".
  std::string lower = absl::AsciiStrToLower(text);
  std::string capitalized = lower;
  if (!capitalized.empty()) capitalized[0] = absl::ascii_toupper(capitalized[0]);
  if (text != lower && text != capitalized && text != absl::AsciiStrToUpper(text)) {
    return std::nullopt;
  }
  auto is_one_of = [&](const auto& names) {
    return std::any_of(names.begin(), names.end(),
                       [&](const char* name) { return lower == name; });
  };
  if (is_one_of(kTrue)) return true;
  if (is_one_of(kFalse)) return false;
  return std::nullopt;
}

std::optional<int64_t> Integer(const YAML::Node& node) {
  std::optional<std::string> text = Text(node);
  int64_t value = 0;
  if (!text.has_value() || !absl::SimpleAtoi(*text, &value)) return std::nullopt;
  return value;
}

absl::StatusOr<std::vector<std::string>> Selector(const YAML::Node& node) {
  if (!node.IsDefined() || !node.IsSequence()) {
    return absl::InvalidArgumentError("is not a selector (a list such as [node_id, variable])");
  }
  std::vector<std::string> selector;
  for (const YAML::Node& part : node) {
    std::optional<std::string> text = Text(part);
    if (!text.has_value()) {
      return absl::InvalidArgumentError(
          "is not a selector: its elements must be plain names, [node_id, variable, ...]");
    }
    selector.push_back(*std::move(text));
  }
  return selector;
}

absl::StatusOr<v1::Value> ToValue(const YAML::Node& node) {
  int budget = kMaxValueElements;
  return ToValueAt(node, 0, budget);
}

}  // namespace flowgrid::dify
