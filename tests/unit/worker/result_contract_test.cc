#include "worker/job/result_contract.h"

#include <string>
#include <vector>

#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"

namespace flowgrid::job {
namespace {

v1::Value Json(const std::string& text) {
  absl::StatusOr<v1::Value> value = ParseValueJson(text);
  EXPECT_TRUE(value.ok()) << text;
  return value.ok() ? *value : v1::Value();
}

std::string Repeat(const std::string& item, int n, const std::string& separator) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? separator : "") + item;
  return out;
}

struct ContractCase {
  std::string name;
  RawResult result;
  std::map<std::string, v1::Type::Kind> declared;
  v1::OutputLimits limits;
  // Empty when the contract must hold.
  std::string expected_error;
  std::vector<std::string> expected_outputs;
  std::vector<std::string> expected_warnings;
};

v1::OutputLimits Limits(int string_length, int depth, int number_array, int array) {
  v1::OutputLimits limits;
  limits.set_max_string_length(string_length);
  limits.set_max_depth(depth);
  limits.set_max_number_array_length(number_array);
  limits.set_max_array_length(array);
  return limits;
}

v1::OutputLimits StrictOutputs() {
  v1::OutputLimits limits;
  limits.set_strict_outputs(true);
  return limits;
}

std::vector<ContractCase> Cases() {
  using K = v1::Type;
  return {
      {"declared outputs kept", {{"a", Json("1")}, {"b", Json("\"x\"")}},
       {{"a", K::NUMBER}, {"b", K::STRING}}, {}, "", {"a", "b"}, {}},
      {"undeclared keys dropped with a warning", {{"a", Json("1")}, {"x", Json("2")}, {"y", Json("3")}},
       {{"a", K::NUMBER}}, {}, "", {"a"},
       {"Output \"x\" is not declared and was dropped.",
        "Output \"y\" is not declared and was dropped."}},
      {"missing declared output", {{"a", Json("1")}}, {{"a", K::NUMBER}, {"b", K::STRING}}, {},
       "Output b is missing.", {}, {}},
      {"null conforms to any type", {{"a", Json("null")}}, {{"a", K::STRING}}, {}, "", {"a"}, {}},
      {"type mismatch uses CheckValueType's message", {{"a", Json("\"1\"")}}, {{"a", K::NUMBER}},
       {}, "a must be number, got string", {}, {}},
      {"element type mismatch", {{"a", Json("[\"x\", 2]")}}, {{"a", K::ARRAY_STRING}}, {},
       "a[1] must be string, got number", {}, {}},
      {"int64 out of range names the output",
       {{"big", absl::OutOfRangeError("integer 99999999999999999999 is outside the int64 range")}},
       {{"big", K::NUMBER}}, {},
       "Output \"big\": integer 99999999999999999999 is outside the int64 range", {}, {}},
      {"int64 out of range in an undeclared key is only dropped",
       {{"a", Json("1")}, {"big", absl::OutOfRangeError("integer 1e30")}}, {{"a", K::NUMBER}}, {},
       "", {"a"}, {"Output \"big\" is not declared and was dropped."}},
      {"string at the limit", {{"s", Json("\"" + std::string(10, 'x') + "\"")}},
       {{"s", K::STRING}}, Limits(10, 0, 0, 0), "", {"s"}, {}},
      {"string over the limit", {{"s", Json("\"" + std::string(11, 'x') + "\"")}},
       {{"s", K::STRING}}, Limits(10, 0, 0, 0),
       "Output \"s\": string of 11 characters exceeds max_string_length 10.", {}, {}},
      {"string length counts characters, not bytes", {{"s", Json("\"ééééé\"")}},
       {{"s", K::STRING}}, Limits(5, 0, 0, 0), "", {"s"}, {}},
      {"nested string over the limit", {{"o", Json("{\"k\": [\"abc\"]}")}}, {{"o", K::OBJECT}},
       Limits(2, 0, 0, 0), "Output \"o.k[0]\": string of 3 characters exceeds max_string_length 2.",
       {}, {}},
      {"default string limit is 400000",
       {{"s", Json("\"" + std::string(400001, 'x') + "\"")}}, {{"s", K::STRING}}, {},
       "Output \"s\": string of 400001 characters exceeds max_string_length 400000.", {}, {}},
      {"depth 5 allowed by default", {{"o", Json("{\"a\":{\"b\":{\"c\":{\"d\":1}}}}")}},
       {{"o", K::OBJECT}}, {}, "", {"o"}, {}},
      {"depth 6 rejected by default", {{"o", Json("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{}}}}}}")}},
       {{"o", K::OBJECT}}, {}, "Output \"o.a.b.c.d.e\": nesting exceeds max_depth 5.", {}, {}},
      {"number array at the default limit",
       {{"n", Json("[" + Repeat("1", 1000, ",") + "]")}}, {{"n", K::ARRAY_NUMBER}}, {}, "",
       {"n"}, {}},
      {"number array over the default limit",
       {{"n", Json("[" + Repeat("1", 1001, ",") + "]")}}, {{"n", K::ARRAY_NUMBER}}, {},
       "Output \"n\": array of 1001 numbers exceeds max_number_array_length 1000.", {}, {}},
      {"other array over the default limit",
       {{"s", Json("[" + Repeat("\"x\"", 31, ",") + "]")}}, {{"s", K::ARRAY_STRING}}, {},
       "Output \"s\": array of 31 items exceeds max_array_length 30.", {}, {}},
      {"object array at the default limit",
       {{"o", Json("[" + Repeat("{}", 30, ",") + "]")}}, {{"o", K::ARRAY_OBJECT}}, {}, "", {"o"},
       {}},
      {"strict outputs: an undeclared key fails", {{"a", Json("1")}, {"x", Json("2")}},
       {{"a", K::NUMBER}}, StrictOutputs(), "Not all output parameters are validated.", {},
       {"Output \"x\" is not declared and was dropped."}},
      {"strict outputs: declared keys only pass", {{"a", Json("1")}}, {{"a", K::NUMBER}},
       StrictOutputs(), "", {"a"}, {}},
      {"strict outputs: a missing output is reported first", {{"x", Json("2")}},
       {{"a", K::NUMBER}}, StrictOutputs(), "Output a is missing.", {},
       {"Output \"x\" is not declared and was dropped."}},
      {"first failing output in name order decides", {{"a", Json("1")}, {"b", Json("1")}},
       {{"b", K::STRING}, {"a", K::STRING}}, {}, "a must be string, got number", {}, {}},
  };
}

TEST(ResultContractTest, Table) {
  for (const ContractCase& c : Cases()) {
    SCOPED_TRACE(c.name);
    DeclaredOutputs declared;
    for (const auto& [name, kind] : c.declared) declared[name] = MakeType(kind);
    ContractOutcome outcome = ApplyResultContract(c.result, declared, c.limits);
    if (c.expected_error.empty()) {
      EXPECT_TRUE(outcome.ok) << outcome.error.message();
      std::vector<std::string> names;
      for (const auto& [name, value] : outcome.outputs) names.push_back(name);
      std::sort(names.begin(), names.end());
      EXPECT_EQ(names, c.expected_outputs);
    } else {
      EXPECT_FALSE(outcome.ok);
      EXPECT_EQ(outcome.error.code(), v1::INVALID_RESULT);
      EXPECT_EQ(outcome.error.message(), c.expected_error);
      EXPECT_TRUE(outcome.outputs.empty());
    }
    EXPECT_EQ(outcome.warnings, c.expected_warnings);
  }
}

TEST(ResultContractTest, KeptValuesAreExact) {
  DeclaredOutputs declared;
  declared["n"] = MakeType(v1::Type::NUMBER);
  ContractOutcome outcome =
      ApplyResultContract({{"n", IntValue(9223372036854775807)}}, declared, {});
  ASSERT_TRUE(outcome.ok);
  EXPECT_EQ(outcome.outputs.at("n").int_value(), 9223372036854775807);
}

TEST(ResultContractTest, EffectiveLimitsKeepNonZeroFields) {
  v1::OutputLimits effective = EffectiveOutputLimits(Limits(7, 0, 0, 9));
  EXPECT_EQ(effective.max_string_length(), 7);
  EXPECT_EQ(effective.max_depth(), 5);
  EXPECT_EQ(effective.max_number_array_length(), 1000);
  EXPECT_EQ(effective.max_array_length(), 9);
}

}  // namespace
}  // namespace flowgrid::job
