#include "scheduler/run/assignment.h"

#include "common/value_json.h"
#include "common/value_types.h"
#include "gtest/gtest.h"

namespace flowgrid::run {
namespace {

struct AssignCase {
  const char* operation;
  v1::Type::Kind type;
  const char* current;
  const char* operand;
  const char* result;  // JSON, or the error message when `error` is set
  bool error = false;
};

TEST(ApplyAssignment, Table) {
  const AssignCase cases[] = {
      {"over-write", v1::Type::STRING, R"("a")", R"("b")", R"("b")"},
      {"set", v1::Type::NUMBER, "1", "7", "7"},
      {"clear", v1::Type::STRING, R"("a")", "null", R"("")"},
      {"clear", v1::Type::NUMBER, "5", "null", "0"},
      {"clear", v1::Type::ARRAY_NUMBER, "[1]", "null", "[]"},
      {"clear", v1::Type::OBJECT, R"({"a":1})", "null", "{}"},
      {"+=", v1::Type::NUMBER, "2", "3", "5"},
      {"+=", v1::Type::NUMBER, "2", "0.5", "2.5"},
      {"-=", v1::Type::NUMBER, "2", "3", "-1"},
      {"*=", v1::Type::NUMBER, "4", "3", "12"},
      {"/=", v1::Type::NUMBER, "9", "3", "3"},
      {"/=", v1::Type::NUMBER, "1", "4", "0.25"},
      {"+=", v1::Type::NUMBER, "9223372036854775807", "1", "9.223372036854776e+18"},
      {"append", v1::Type::ARRAY_NUMBER, "[1]", "2", "[1,2]"},
      {"extend", v1::Type::ARRAY_STRING, R"(["a"])", R"(["b","c"])", R"(["a","b","c"])"},
      {"remove-first", v1::Type::ARRAY_NUMBER, "[1,2,3]", "null", "[2,3]"},
      {"remove-last", v1::Type::ARRAY_NUMBER, "[1,2,3]", "null", "[1,2]"},
      {"remove-last", v1::Type::ARRAY_NUMBER, "[]", "null", "[]"},
      {"+=", v1::Type::NUMBER, "1", R"("x")", "\"+=\" needs numbers, got number and string", true},
      {"/=", v1::Type::NUMBER, "1", "0", "\"/=\" by zero", true},
      {"append", v1::Type::ARRAY_NUMBER, "5", "1", "\"append\" needs an array variable, got number",
       true},
      {"append", v1::Type::ARRAY_NUMBER, "[1]", R"("x")",
       "the new value[1] must be number, got string", true},
      {"extend", v1::Type::ARRAY_NUMBER, "[1]", "2", "\"extend\" needs an array to add, got number",
       true},
      {"set", v1::Type::STRING, R"("a")", "1", "the new value must be string, got number", true},
      {"%=", v1::Type::NUMBER, "1", "1", "unknown operation \"%=\"", true},
  };
  for (const AssignCase& c : cases) {
    absl::StatusOr<v1::Value> got = ApplyAssignment(c.operation, MakeType(c.type),
                                                    *ParseValueJson(c.current),
                                                    *ParseValueJson(c.operand));
    if (c.error) {
      ASSERT_FALSE(got.ok()) << c.operation << " " << c.current;
      EXPECT_EQ(got.status().message(), c.result) << c.operation;
    } else {
      ASSERT_TRUE(got.ok()) << c.operation << " " << c.current << ": " << got.status();
      EXPECT_EQ(*ValueToJson(*got), c.result) << c.operation << " " << c.current;
    }
  }
}

}  // namespace
}  // namespace flowgrid::run
