#include "client/sdk/credentials.h"

#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string WriteTemp(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/credentials_test_" + name;
  std::ofstream(path) << content;
  return path;
}

TEST(ReadApiKeyFileTest, TheFirstLineTrimmed) {
  absl::StatusOr<std::string> key =
      ReadApiKeyFile(WriteTemp("key", "  0123456789abcdef \nsecond line\n"));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, "0123456789abcdef");
  EXPECT_EQ(ReadApiKeyFile(WriteTemp("no_newline", "abc")).value_or(""), "abc");
}

TEST(ReadApiKeyFileTest, ErrorsNameTheFileButNotItsContent) {
  absl::StatusOr<std::string> missing = ReadApiKeyFile("/nonexistent/dev.key");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("cannot read the API key file /nonexistent/dev.key"));
  const std::string blank = WriteTemp("blank", "\nsecret-on-line-two\n");
  absl::StatusOr<std::string> empty = ReadApiKeyFile(blank);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.status().message(),
              HasSubstr("the API key file " + blank + " has no key on its first line"));
  EXPECT_THAT(empty.status().message(), Not(HasSubstr("secret")));
}

}  // namespace
}  // namespace flowgrid
