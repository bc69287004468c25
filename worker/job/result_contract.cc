#include "worker/job/result_contract.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/value_types.h"

namespace flowgrid::job {
namespace {

constexpr int kDefaultMaxStringLength = 400000;
constexpr int kDefaultMaxDepth = 5;
constexpr int kDefaultMaxNumberArrayLength = 1000;
constexpr int kDefaultMaxArrayLength = 30;

// Characters as users (and Python's len) count them: UTF-8 code points.
int64_t CodePoints(const std::string& utf8) {
  int64_t count = 0;
  for (unsigned char c : utf8) count += (c & 0xC0) != 0x80;
  return count;
}

bool AllNumbers(const v1::ListValue& list) {
  if (list.items().empty()) return false;
  for (const v1::Value& item : list.items()) {
    if (!item.has_int_value() && !item.has_double_value()) return false;
  }
  return true;
}

absl::Status LimitError(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("Output \"", path, "\": ", what, "."));
}

// `depth` is the nesting level of `value` if it is a container (1 for the
// output itself).
absl::Status CheckLimits(const v1::Value& value, const std::string& path, int depth,
                         const v1::OutputLimits& limits) {
  switch (value.kind_case()) {
    case v1::Value::kStringValue: {
      const int64_t length = CodePoints(value.string_value());
      if (length > limits.max_string_length()) {
        return LimitError(path, absl::StrCat("string of ", length,
                                             " characters exceeds max_string_length ",
                                             limits.max_string_length()));
      }
      return absl::OkStatus();
    }
    case v1::Value::kListValue: {
      if (depth > limits.max_depth()) {
        return LimitError(path, absl::StrCat("nesting exceeds max_depth ", limits.max_depth()));
      }
      const v1::ListValue& list = value.list_value();
      if (AllNumbers(list)) {
        if (list.items_size() > limits.max_number_array_length()) {
          return LimitError(path, absl::StrCat("array of ", list.items_size(),
                                               " numbers exceeds max_number_array_length ",
                                               limits.max_number_array_length()));
        }
      } else if (list.items_size() > limits.max_array_length()) {
        return LimitError(path, absl::StrCat("array of ", list.items_size(),
                                             " items exceeds max_array_length ",
                                             limits.max_array_length()));
      }
      for (int i = 0; i < list.items_size(); ++i) {
        absl::Status s =
            CheckLimits(list.items(i), absl::StrCat(path, "[", i, "]"), depth + 1, limits);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case v1::Value::kObjectValue: {
      if (depth > limits.max_depth()) {
        return LimitError(path, absl::StrCat("nesting exceeds max_depth ", limits.max_depth()));
      }
      // Sorted, so that the reported violation does not depend on hashing.
      const std::map<std::string, v1::Value> fields(value.object_value().fields().begin(),
                                                    value.object_value().fields().end());
      for (const auto& [key, field] : fields) {
        absl::Status s = CheckLimits(field, absl::StrCat(path, ".", key), depth + 1, limits);
        if (!s.ok()) return s;
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

ContractOutcome Fail(ContractOutcome outcome, std::string message) {
  outcome.ok = false;
  outcome.outputs.clear();
  outcome.error.set_code(v1::INVALID_RESULT);
  outcome.error.set_message(std::move(message));
  return outcome;
}

}  // namespace

v1::OutputLimits EffectiveOutputLimits(const v1::OutputLimits& limits) {
  v1::OutputLimits out = limits;
  if (out.max_string_length() <= 0) out.set_max_string_length(kDefaultMaxStringLength);
  if (out.max_depth() <= 0) out.set_max_depth(kDefaultMaxDepth);
  if (out.max_number_array_length() <= 0) {
    out.set_max_number_array_length(kDefaultMaxNumberArrayLength);
  }
  if (out.max_array_length() <= 0) out.set_max_array_length(kDefaultMaxArrayLength);
  return out;
}

ContractOutcome ApplyResultContract(const RawResult& result, const DeclaredOutputs& declared,
                                    const v1::OutputLimits& limits) {
  const v1::OutputLimits effective = EffectiveOutputLimits(limits);
  ContractOutcome outcome;
  bool has_undeclared = false;
  for (const auto& [name, value] : result) {
    if (!declared.contains(name)) {
      has_undeclared = true;
      outcome.warnings.push_back(
          absl::StrCat("Output \"", name, "\" is not declared and was dropped."));
    }
  }
  const std::map<std::string, v1::Type> sorted_declared(declared.begin(), declared.end());
  for (const auto& [name, type] : sorted_declared) {
    auto it = result.find(name);
    if (it == result.end()) {
      return Fail(std::move(outcome), absl::StrCat("Output ", name, " is missing."));
    }
    if (!it->second.ok()) {
      return Fail(std::move(outcome),
                  absl::StrCat("Output \"", name, "\": ", it->second.status().message()));
    }
    const v1::Value& value = *it->second;
    if (absl::Status s = CheckValueType(value, type, name); !s.ok()) {
      return Fail(std::move(outcome), std::string(s.message()));
    }
    if (absl::Status s = CheckLimits(value, name, 1, effective); !s.ok()) {
      return Fail(std::move(outcome), std::string(s.message()));
    }
    outcome.outputs[name] = value;
  }
  if (has_undeclared && limits.strict_outputs()) {
    return Fail(std::move(outcome), "Not all output parameters are validated.");
  }
  outcome.ok = true;
  return outcome;
}

}  // namespace flowgrid::job
