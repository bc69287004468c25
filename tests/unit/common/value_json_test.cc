#include "common/value_json.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace flowgrid {
namespace {

TEST(ValueJson, Int64ExtremesSurviveExactly) {
  for (const char* text : {"9223372036854775807", "-9223372036854775807",
                           "-9223372036854775808"}) {
    absl::StatusOr<v1::Value> value = ParseValueJson(text);
    ASSERT_TRUE(value.ok()) << value.status();
    ASSERT_TRUE(value->has_int_value()) << text;
    EXPECT_EQ(*ValueToJson(*value), text);
  }
}

TEST(ValueJson, IntegerBeyondInt64IsAnErrorNotARoundedDouble) {
  absl::StatusOr<v1::Value> value = ParseValueJson("9223372036854775808");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(value.status().message(),
            "integer 9223372036854775808 is outside the int64 range");
  absl::StatusOr<v1::Value> nested = ParseValueJson(R"({"a":[1,100000000000000000000]})");
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().message(),
            "integer 100000000000000000000 at a.1 is outside the int64 range");
}

TEST(ValueJson, DoublesStayDoubles) {
  absl::StatusOr<v1::Value> value = ParseValueJson("2.5");
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value->has_double_value());
  EXPECT_EQ(value->double_value(), 2.5);
}

TEST(ValueJson, NestedRoundTrip) {
  const std::string text = R"({"a":[1,2.5,"x",true,null,{"b":[]}],"c":{}})";
  absl::StatusOr<v1::Value> value = ParseValueJson(text);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*ValueToJson(*value), text);
}

TEST(ValueJson, MalformedJsonNamesThePosition) {
  absl::StatusOr<v1::Value> value = ParseValueJson(R"({"a": [1, 2,)");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(value.status().message().find("invalid JSON"), absl::string_view::npos)
      << value.status();
}

TEST(ValueJson, NonFiniteDoublesHaveNoJsonForm) {
  EXPECT_FALSE(ValueToJson(DoubleValue(std::nan(""))).ok());
  EXPECT_FALSE(ValueToJson(DoubleValue(std::numeric_limits<double>::infinity())).ok());
}

TEST(ValueJson, ValueMapNeedsAnObject) {
  EXPECT_TRUE(ParseValueMapJson(R"({"x": 1})").ok());
  absl::StatusOr<ValueMap> list = ParseValueMapJson("[1]");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().message(), "expected a JSON object");
}

TEST(ValueJson, NamedInputs) {
  auto number = ParseNamedInput("n=42");
  ASSERT_TRUE(number.ok());
  EXPECT_EQ(number->first, "n");
  EXPECT_EQ(number->second.int_value(), 42);

  auto word = ParseNamedInput("q=hello world");
  ASSERT_TRUE(word.ok());
  EXPECT_EQ(word->second.string_value(), "hello world");

  auto quoted = ParseNamedInput(R"(q="42")");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->second.string_value(), "42");

  auto list = ParseNamedInput(R"(items=[{"id":"a"}])");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->second.list_value().items_size(), 1);

  EXPECT_FALSE(ParseNamedInput("novalue").ok());
  EXPECT_FALSE(ParseNamedInput("=1").ok());
}

}  // namespace
}  // namespace flowgrid
