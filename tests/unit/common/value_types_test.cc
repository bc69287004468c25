#include "common/value_types.h"

#include "common/value_json.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

v1::Value Json(const char* text) { return *ParseValueJson(text); }

struct TypeCase {
  const char* json;
  v1::Type::Kind kind;
  const char* error;  // empty when the value conforms
};

TEST(CheckValueType, Table) {
  const TypeCase cases[] = {
      {R"("x")", v1::Type::STRING, ""},
      {"1", v1::Type::STRING, "out must be string, got number"},
      {"1", v1::Type::NUMBER, ""},
      {"1.5", v1::Type::NUMBER, ""},
      {R"("1")", v1::Type::NUMBER, "out must be number, got string"},
      {"true", v1::Type::BOOLEAN, ""},
      {"0", v1::Type::BOOLEAN, "out must be boolean, got number"},
      {R"({"a":1})", v1::Type::OBJECT, ""},
      {"[1]", v1::Type::OBJECT, "out must be object, got array"},
      {R"(["a","b"])", v1::Type::ARRAY_STRING, ""},
      {R"(["a",1])", v1::Type::ARRAY_STRING, "out[1] must be string, got number"},
      {R"([1,2.5])", v1::Type::ARRAY_NUMBER, ""},
      {R"([1,null])", v1::Type::ARRAY_NUMBER, "out[1] must be number, got null"},
      {R"([true])", v1::Type::ARRAY_BOOLEAN, ""},
      {R"([{"a":1}])", v1::Type::ARRAY_OBJECT, ""},
      {R"([[1]])", v1::Type::ARRAY_OBJECT, "out[0] must be object, got array"},
      {R"("x")", v1::Type::ARRAY_STRING, "out must be array[string], got string"},
      {"null", v1::Type::STRING, ""},
      {"null", v1::Type::ARRAY_OBJECT, ""},
  };
  for (const TypeCase& c : cases) {
    absl::Status s = CheckValueType(Json(c.json), MakeType(c.kind), "out");
    if (std::string(c.error).empty()) {
      EXPECT_TRUE(s.ok()) << c.json << " as " << TypeName(MakeType(c.kind)) << ": " << s;
    } else {
      EXPECT_EQ(s.message(), c.error) << c.json;
    }
  }
}

TEST(CheckValueType, ObjectChildrenAreChecked) {
  v1::Type type = MakeType(v1::Type::OBJECT);
  (*type.mutable_children())["n"] = MakeType(v1::Type::NUMBER);
  EXPECT_TRUE(CheckValueType(Json(R"({"n":1,"extra":"x"})"), type, "o").ok());
  EXPECT_EQ(CheckValueType(Json(R"({"n":"1"})"), type, "o").message(),
            "o.n must be number, got string");
}

TEST(LookupPath, ObjectsAndLists) {
  v1::Value root = Json(R"({"a":{"b":[10,{"c":"deep"}]}})");
  EXPECT_EQ(LookupPath(root, {"a", "b", "1", "c"})->string_value(), "deep");
  EXPECT_EQ(LookupPath(root, {"a", "b", "0"})->int_value(), 10);
  EXPECT_EQ(LookupPath(root, {"a", "x"}).status().message(), "no key \"x\"");
  EXPECT_EQ(LookupPath(root, {"a", "b", "5"}).status().message(), "no index 5 in an array of 2");
  EXPECT_EQ(LookupPath(root, {"a", "b", "0", "z"}).status().message(),
            "cannot take \"z\" of a number");
}

}  // namespace
}  // namespace flowgrid
