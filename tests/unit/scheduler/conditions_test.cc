#include "scheduler/run/conditions.h"

#include "common/value_json.h"
#include "gtest/gtest.h"

namespace flowgrid::run {
namespace {

struct ConditionCase {
  const char* op;
  const char* actual;    // JSON
  const char* expected;  // JSON
  bool holds;
};

// One row per operator and per kind of operand it accepts, with both
// outcomes where they differ.
const ConditionCase kCases[] = {
    {"contains", R"("hello world")", R"("lo w")", true},
    {"contains", R"("hello")", R"("xyz")", false},
    {"contains", R"(["a","b"])", R"("b")", true},
    {"contains", R"([1,2])", "2", true},
    {"contains", R"([1,2])", "3", false},
    {"not contains", R"("hello")", R"("xyz")", true},
    {"not contains", R"(["a"])", R"("a")", false},
    {"start with", R"("flowgrid")", R"("flow")", true},
    {"start with", R"("flowgrid")", R"("grid")", false},
    {"end with", R"("flowgrid")", R"("grid")", true},
    {"end with", R"("flowgrid")", R"("flow")", false},
    {"is", R"("yes")", R"("yes")", true},
    {"is", R"("yes")", R"("Yes")", false},
    {"is", "true", R"("true")", true},
    {"is not", R"("a")", R"("b")", true},
    {"is not", R"("a")", R"("a")", false},
    {"empty", R"("")", "null", true},
    {"empty", "[]", "null", true},
    {"empty", "{}", "null", true},
    {"empty", "null", "null", true},
    {"empty", R"(" ")", "null", false},
    {"empty", "0", "null", false},
    {"not empty", R"("x")", "null", true},
    {"not empty", "[]", "null", false},
    {"in", R"("b")", R"(["a","b"])", true},
    {"in", "2", R"([1,2,3])", true},
    {"in", R"("z")", R"(["a","b"])", false},
    {"not in", R"("z")", R"(["a","b"])", true},
    {"not in", R"("a")", R"(["a","b"])", false},
    {"all of", R"(["a","b","c"])", R"(["a","c"])", true},
    {"all of", R"(["a","b"])", R"(["a","z"])", false},
    {"=", "3", "3", true},
    {"=", "3", R"("3")", true},
    {"=", "3.0", "3", true},
    {"=", "3", "4", false},
    {"≠", "3", "4", true},
    {"!=", "3", "3", false},
    {">", "5", "3", true},
    {">", "3", "3", false},
    {"<", "2", R"("2.5")", true},
    {"<", "3", "2", false},
    {"≥", "3", "3", true},
    {">=", "2", "3", false},
    {"≤", "3", "3", true},
    {"<=", "4", "3", false},
    {"null", "null", "null", true},
    {"null", "0", "null", false},
    {"not null", R"("")", "null", true},
    {"not null", "null", "null", false},
    // A null left side makes every test but the null/empty ones false.
    {"contains", "null", R"("a")", false},
    {"=", "null", "1", false},
    {"not contains", "null", R"("a")", false},
};

TEST(EvaluateCondition, EveryOperator) {
  for (const ConditionCase& c : kCases) {
    std::optional<graph::ConditionOperator> op = graph::ParseConditionOperator(c.op);
    ASSERT_TRUE(op.has_value()) << c.op;
    absl::StatusOr<bool> holds =
        EvaluateCondition(*op, *ParseValueJson(c.actual), *ParseValueJson(c.expected));
    ASSERT_TRUE(holds.ok()) << c.actual << " " << c.op << " " << c.expected << ": "
                            << holds.status();
    EXPECT_EQ(*holds, c.holds) << c.actual << " " << c.op << " " << c.expected;
  }
}

struct ErrorCase {
  const char* op;
  const char* actual;
  const char* expected;
  const char* message;
};

TEST(EvaluateCondition, OperandsThatCannotBeComparedAreClearErrors) {
  const ErrorCase cases[] = {
      {">", R"("10")", "3", "numeric comparison needs a number, got string"},
      {"=", "3", R"("three")", "numeric comparison needs a number to compare with, got string"},
      {"contains", "5", R"("5")", "\"contains\" needs a string or an array, got number"},
      {"start with", "[1]", R"("1")", "\"start with\"/\"end with\" need a string, got array"},
      {"in", R"("a")", R"("abc")", "\"in\"/\"not in\" need an array to look in, got string"},
      {"all of", R"("a")", R"(["a"])", "\"all of\" needs an array, got string"},
      {"all of", R"(["a"])", R"("a")", "\"all of\" needs an array of required items, got string"},
  };
  for (const ErrorCase& c : cases) {
    absl::StatusOr<bool> holds = EvaluateCondition(*graph::ParseConditionOperator(c.op),
                                                   *ParseValueJson(c.actual),
                                                   *ParseValueJson(c.expected));
    ASSERT_FALSE(holds.ok()) << c.op;
    EXPECT_EQ(holds.status().message(), c.message) << c.op;
  }
}

TEST(ParseConditionOperator, UnknownSpellingsAreRejected) {
  EXPECT_FALSE(graph::ParseConditionOperator("like").has_value());
  EXPECT_FALSE(graph::ParseConditionOperator("Contains").has_value());
  EXPECT_TRUE(graph::ParseConditionOperator("not null").has_value());
}

}  // namespace
}  // namespace flowgrid::run
