#include "worker/job/harness_reply.h"

#include "gtest/gtest.h"
#include "common/json_value_reader.h"

namespace flowgrid::job {
namespace {

TEST(JsonValueReaderTest, KeepsInt64ExactAndDoublesApart) {
  absl::StatusOr<ReadJson> read =
      ReadJsonValue(R"({"max": 9223372036854775807, "min": -9223372036854775808, "d": 1.5})", 8);
  ASSERT_TRUE(read.ok()) << read.status();
  const auto& fields = read->value.object_value().fields();
  EXPECT_EQ(fields.at("max").int_value(), 9223372036854775807);
  EXPECT_EQ(fields.at("min").int_value(), -9223372036854775807 - 1);
  EXPECT_EQ(fields.at("d").double_value(), 1.5);
  EXPECT_TRUE(read->out_of_range_integers.empty());
}

TEST(JsonValueReaderTest, ReportsOutOfRangeIntegersWithTheirPath) {
  absl::StatusOr<ReadJson> read = ReadJsonValue(
      R"({"a": [1, 9223372036854775808], "b": {"c": -9223372036854775809}, "e": 1e30})", 8);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->out_of_range_integers.size(), 2u);
  EXPECT_EQ(read->out_of_range_integers[0].path, (std::vector<std::string>{"a", "1"}));
  EXPECT_EQ(read->out_of_range_integers[0].literal, "9223372036854775808");
  EXPECT_EQ(read->out_of_range_integers[1].path, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(read->out_of_range_integers[1].literal, "-9223372036854775809");
  EXPECT_TRUE(read->value.object_value().fields().at("a").list_value().items(1).has_null_value());
  EXPECT_EQ(read->value.object_value().fields().at("e").double_value(), 1e30);
}

TEST(JsonValueReaderTest, RejectsMalformedAndTooDeep) {
  EXPECT_FALSE(ReadJsonValue("{\"a\": ", 8).ok());
  EXPECT_FALSE(ReadJsonValue("[[[[1]]]]", 3).ok());
  EXPECT_TRUE(ReadJsonValue("[[[1]]]", 3).ok());
}

TEST(HarnessReplyTest, SuccessCarriesFieldsAndRangeErrors) {
  absl::StatusOr<HarnessReply> reply =
      ParseHarnessReply(R"({"ok": true, "result": {"a": 1, "big": [99999999999999999999]}})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->ok);
  EXPECT_EQ(reply->result.at("a")->int_value(), 1);
  ASSERT_FALSE(reply->result.at("big").ok());
  EXPECT_EQ(reply->result.at("big").status().message().substr(0, 48),
            "integer 99999999999999999999 is outside the int6");
}

TEST(HarnessReplyTest, RuntimeErrorBecomesTypeAndMessage) {
  absl::StatusOr<HarnessReply> reply = ParseHarnessReply(
      R"({"ok": false, "error": {"code": "RUNTIME_ERROR", "type": "KeyError", "message": "'x'",
          "traceback": "Traceback..."}})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_FALSE(reply->ok);
  EXPECT_EQ(reply->error.code(), v1::RUNTIME_ERROR);
  EXPECT_EQ(reply->error.message(), "KeyError: 'x'");
  EXPECT_EQ(reply->error.traceback(), "Traceback...");
}

TEST(HarnessReplyTest, CompileErrorKeepsItsCodeAndCaretSnippet) {
  absl::StatusOr<HarnessReply> reply = ParseHarnessReply(
      R"json({"ok": false, "error": {"code": "COMPILE_ERROR", "type": "SyntaxError",
          "message": "invalid syntax (line 2)", "traceback": "  File \"<code>\", line 2"}})json");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->error.code(), v1::COMPILE_ERROR);
  EXPECT_EQ(reply->error.message(), "SyntaxError: invalid syntax (line 2)");
  EXPECT_EQ(reply->error.traceback(), "  File \"<code>\", line 2");

  reply = ParseHarnessReply(
      R"({"ok": false, "error": {"code": "COMPILE_ERROR", "type": "",
          "message": "main() is not defined", "traceback": ""}})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->error.message(), "main() is not defined");
}

TEST(HarnessReplyTest, RejectsWhatIsNotAReply) {
  for (const char* text : {"", "[]", R"({"result": {}})", R"({"ok": true, "result": 3})",
                           R"({"ok": false, "error": {"code": "TIMEOUT"}})"}) {
    EXPECT_FALSE(ParseHarnessReply(text).ok()) << text;
  }
}

}  // namespace
}  // namespace flowgrid::job
