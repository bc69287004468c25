#include "client/cli/dev_api_key.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/workflow_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace flowgrid::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

class EnsureDevApiKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dev-api-key-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    return ReadFile(path).value_or("<unreadable>");
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  }

  std::filesystem::path dir_;
};

TEST_F(EnsureDevApiKeyTest, WritesTheKeysFileAndTheKeyOwnerReadableOnly) {
  absl::StatusOr<DevApiKey> files = EnsureDevApiKey(dir_.string());
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(files->keys_file, (dir_ / "api-keys").string());
  EXPECT_EQ(files->key_file, (dir_ / "dev.key").string());
  const std::string key = Read(files->key_file);
  EXPECT_THAT(key, MatchesRegex("[0-9a-f]{64}\n"));
  EXPECT_THAT(Read(files->keys_file), HasSubstr("\ndev " + key));
  EXPECT_EQ(Mode(files->key_file), 0600u);
  EXPECT_EQ(Mode(files->keys_file), 0600u);
}

TEST_F(EnsureDevApiKeyTest, KeepsAValidKeyAndReplacesAnInvalidOne) {
  const std::string first = Read(EnsureDevApiKey(dir_.string()).value().key_file);
  EXPECT_EQ(Read(EnsureDevApiKey(dir_.string()).value().key_file), first);

  { std::ofstream((dir_ / "dev.key").string()) << "short\n"; }
  absl::StatusOr<DevApiKey> replaced = EnsureDevApiKey(dir_.string());
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  const std::string key = Read(replaced->key_file);
  EXPECT_THAT(key, MatchesRegex("[0-9a-f]{64}\n"));
  EXPECT_NE(key, first);
  EXPECT_EQ(Mode(replaced->key_file), 0600u);
  EXPECT_THAT(Read(replaced->keys_file), HasSubstr("\ndev " + key));
}

TEST_F(EnsureDevApiKeyTest, AMissingDirectoryIsAnErrorNamingTheFile) {
  absl::StatusOr<DevApiKey> files = EnsureDevApiKey((dir_ / "missing").string());
  ASSERT_FALSE(files.ok());
  EXPECT_THAT(files.status().message(), HasSubstr((dir_ / "missing" / "dev.key").string()));
}

}  // namespace
}  // namespace flowgrid::cli
