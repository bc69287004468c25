// scheduler/auth: API key files (parsing, errors by line, rotation), the
// worker token, and the gRPC processor that checks them on each call.
#include "scheduler/auth/api_keys.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "scheduler/auth/bearer_auth_processor.h"
#include "scheduler/auth/server_auth.h"
#include "scheduler/service/client_identity.h"

namespace flowgrid::auth {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAliceKey[] = "alice-key-0123456789";
constexpr char kBobKey[] = "bob-key-abcdefghijkl";

std::string ParseError(const std::string& text) {
  absl::StatusOr<KeyTable> table = ParseApiKeys(text, "keys.txt");
  EXPECT_FALSE(table.ok()) << text;
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

TEST(ApiKeysParse, ReadsNamesAndKeysSkippingCommentsAndBlankLines) {
  absl::StatusOr<KeyTable> table = ParseApiKeys(
      absl::StrCat("# clients\n\nalice ", kAliceKey, "\n  bob\t", kBobKey, "  \n# end\n"),
      "keys.txt");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->size(), 2u);
  EXPECT_EQ(table->Find(kAliceKey), "alice");
  EXPECT_EQ(table->Find(kBobKey), "bob");
  EXPECT_EQ(table->Find("alice-key-012345678"), std::nullopt);  // a prefix
  EXPECT_EQ(table->Find(""), std::nullopt);
}

TEST(ApiKeysParse, ErrorsNameTheFileAndLineButNeverTheKey) {
  const std::string good = absl::StrCat("alice ", kAliceKey, "\n");
  EXPECT_EQ(ParseError(good + "bob\n"),
            "API keys file keys.txt line 2: expected \"NAME KEY\", found 1 field(s)");
  EXPECT_THAT(ParseError(good + "bob " + kBobKey + " extra\n"), HasSubstr("line 2"));
  EXPECT_THAT(ParseError(good + "b@b " + kBobKey + "\n"),
              HasSubstr("line 2: the name must be 1 to 64 of A-Z a-z 0-9 . _ -"));
  EXPECT_THAT(ParseError(good + std::string(65, 'n') + " " + kBobKey + "\n"),
              HasSubstr("line 2: the name"));
  EXPECT_EQ(ParseError(good + "bob short-key\n"),
            "API keys file keys.txt line 2: the key of bob must be at least 16 printable "
            "ASCII characters");
  EXPECT_EQ(ParseError(good + "\nalice " + kBobKey + "\n"),
            "API keys file keys.txt line 3: the name alice is already used on line 1");
  const std::string duplicate_key = ParseError(good + "# again\nbob " + kAliceKey + "\n");
  EXPECT_EQ(duplicate_key,
            "API keys file keys.txt line 3: the key of bob is the same as the key of alice on "
            "line 1");
  EXPECT_EQ(ParseError("# nothing\n\n"), "API keys file keys.txt holds no key");
  // A line holding only a key (the name forgotten) must not echo it.
  EXPECT_THAT(ParseError(good + kBobKey + "\n"), Not(HasSubstr(kBobKey)));
  EXPECT_THAT(ParseError(good + "bob\x01key-abcdefghijkl-x y\n"), Not(HasSubstr("key-abc")));
}

class ApiKeysFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "keys-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/api-keys";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(ApiKeysFileTest, AuthenticateNamesTheClientOrSaysUnknown) {
  Write(absl::StrCat("alice ", kAliceKey, "\n"));
  absl::StatusOr<std::unique_ptr<ApiKeys>> keys = ApiKeys::LoadApiKeysFile(path_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)->Authenticate(kAliceKey).value_or(""), "alice");
  absl::StatusOr<std::string> unknown = (*keys)->Authenticate(kBobKey);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(unknown.status().message(), "unknown API key");
}

TEST_F(ApiKeysFileTest, LoadFailsOnAMissingOrInvalidFile) {
  absl::StatusOr<std::unique_ptr<ApiKeys>> missing = ApiKeys::LoadApiKeysFile(path_);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr(path_));
  Write("alice tooshort\n");
  absl::StatusOr<std::unique_ptr<ApiKeys>> invalid = ApiKeys::LoadApiKeysFile(path_);
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(), HasSubstr("line 1"));
}

TEST_F(ApiKeysFileTest, RotationReplacesKeysAndABadFileKeepsThePreviousOnes) {
  Write(absl::StrCat("alice ", kAliceKey, "\n"));
  absl::StatusOr<std::unique_ptr<ApiKeys>> loaded = ApiKeys::LoadApiKeysFile(path_);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ApiKeys& keys = **loaded;
  EXPECT_TRUE(keys.ReloadIfChanged().ok());  // unchanged

  // Rotation: alice's key removed, bob's added.
  Write(absl::StrCat("bob ", kBobKey, "\n"));
  ASSERT_TRUE(keys.ReloadIfChanged().ok());
  EXPECT_FALSE(keys.Authenticate(kAliceKey).ok());
  EXPECT_EQ(keys.Authenticate(kBobKey).value_or(""), "bob");

  // Invalid content: the error is returned (again while unchanged), bob stays.
  Write(absl::StrCat("bob ", kBobKey, "\ncarol\n"));
  absl::Status invalid = keys.ReloadIfChanged();
  EXPECT_THAT(invalid.message(), HasSubstr("line 2"));
  EXPECT_EQ(keys.ReloadIfChanged(), invalid);
  EXPECT_EQ(keys.Authenticate(kBobKey).value_or(""), "bob");

  // A vanished file (a secret being replaced) keeps bob too.
  std::filesystem::remove(path_);
  EXPECT_FALSE(keys.ReloadIfChanged().ok());
  EXPECT_EQ(keys.Authenticate(kBobKey).value_or(""), "bob");

  Write(absl::StrCat("alice ", kAliceKey, "\nbob ", kBobKey, "\n"));
  ASSERT_TRUE(keys.ReloadIfChanged().ok());
  EXPECT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys.Authenticate(kAliceKey).value_or(""), "alice");
}

TEST_F(ApiKeysFileTest, WorkerTokenFileNamesTheWorker) {
  Write("  shared-worker-token-1234 \n");
  absl::StatusOr<std::unique_ptr<ApiKeys>> token = ApiKeys::LoadWorkerTokenFile(path_);
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ((*token)->Authenticate("shared-worker-token-1234").value_or(""), kWorkerTokenName);
  absl::StatusOr<std::string> wrong = (*token)->Authenticate("shared-worker-token-1235");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message(), "unknown worker token");
  Write("short\n");
  EXPECT_FALSE((*token)->ReloadIfChanged().ok());
  EXPECT_TRUE((*token)->Authenticate("shared-worker-token-1234").ok());
}

// An AuthContext holding what a processor adds.
class RecordingAuthContext : public grpc::AuthContext {
 public:
  bool IsPeerAuthenticated() const override { return false; }
  std::vector<grpc::string_ref> GetPeerIdentity() const override { return {}; }
  std::string GetPeerIdentityPropertyName() const override { return ""; }
  std::vector<grpc::string_ref> FindPropertyValues(const std::string& name) const override {
    std::vector<grpc::string_ref> values;
    for (const auto& [key, value] : properties) {
      if (key == name) values.emplace_back(value);
    }
    return values;
  }
  grpc::AuthPropertyIterator begin() const override { return EmptyIterator(); }
  grpc::AuthPropertyIterator end() const override { return EmptyIterator(); }
  void AddProperty(const std::string& key, const grpc::string_ref& value) override {
    properties.emplace_back(key, std::string(value.data(), value.size()));
  }
  bool SetPeerIdentityPropertyName(const std::string&) override { return false; }

  std::vector<std::pair<std::string, std::string>> properties;

 private:
  struct EmptyIterator : grpc::AuthPropertyIterator {};
};

class BearerAuthProcessorTest : public ApiKeysFileTest {
 protected:
  void SetUp() override {
    ApiKeysFileTest::SetUp();
    Write(absl::StrCat("alice ", kAliceKey, "\n"));
    absl::StatusOr<std::unique_ptr<ApiKeys>> keys = ApiKeys::LoadApiKeysFile(path_);
    ASSERT_TRUE(keys.ok()) << keys.status();
    keys_ = *std::move(keys);
  }

  // Runs the processor on a call to `path` with `headers`.
  grpc::Status Call(bool accept_x_api_key, const std::string& path,
                    std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back(":path", path);
    strings_ = std::move(headers);
    grpc::AuthMetadataProcessor::InputMetadata metadata;
    for (const auto& [key, value] : strings_) metadata.emplace(key, value);
    context_.properties.clear();
    consumed_.clear();
    grpc::AuthMetadataProcessor::OutputMetadata response;
    BearerAuthProcessor processor(keys_.get(), accept_x_api_key);
    return processor.Process(metadata, &context_, &consumed_, &response);
  }

  std::unique_ptr<ApiKeys> keys_;
  std::vector<std::pair<std::string, std::string>> strings_;
  RecordingAuthContext context_;
  grpc::AuthMetadataProcessor::OutputMetadata consumed_;
};

constexpr char kSubmit[] = "/flowgrid.v1.WorkflowService/SubmitRun";

TEST_F(BearerAuthProcessorTest, AKnownBearerKeyNamesTheClientAndIsConsumed) {
  grpc::Status status = Call(true, kSubmit, {{"authorization", absl::StrCat("Bearer ", kAliceKey)}});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(context_.properties,
              ElementsAre(std::pair<std::string, std::string>(service::kClientIdProperty, "alice")));
  EXPECT_EQ(consumed_.count("authorization"), 1u);

  EXPECT_TRUE(Call(true, kSubmit, {{"authorization", absl::StrCat("bearer  ", kAliceKey)}}).ok());
  EXPECT_TRUE(Call(true, kSubmit, {{"x-api-key", kAliceKey}}).ok());
  EXPECT_EQ(consumed_.count("x-api-key"), 1u);
}

TEST_F(BearerAuthProcessorTest, MissingOrUnknownKeysAreUnauthenticatedWithoutEchoingThem) {
  grpc::Status missing = Call(true, kSubmit, {});
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(missing.error_message(),
            "missing API key: send metadata \"authorization: Bearer <API key>\" or "
            "\"x-api-key: <API key>\"");

  grpc::Status unknown = Call(true, kSubmit, {{"authorization", "Bearer wrong-key-0123456789"}});
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_message(), "unknown API key");

  grpc::Status basic = Call(true, kSubmit, {{"authorization", absl::StrCat("Basic ", kAliceKey)}});
  EXPECT_EQ(basic.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(basic.error_message(), Not(HasSubstr(kAliceKey)));

  // The worker port takes its token from authorization only.
  grpc::Status x_api_key = Call(false, "/flowgrid.v1.WorkerService/Connect", {{"x-api-key", kAliceKey}});
  EXPECT_EQ(x_api_key.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(x_api_key.error_message(), Not(HasSubstr("x-api-key")));
  EXPECT_TRUE(context_.properties.empty());
}

TEST_F(BearerAuthProcessorTest, HealthChecksNeedNoKeyButReflectionDoes) {
  EXPECT_TRUE(Call(true, "/grpc.health.v1.Health/Check", {}).ok());
  EXPECT_TRUE(Call(true, "/grpc.health.v1.Health/Watch", {}).ok());
  EXPECT_FALSE(
      Call(true, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", {}).ok());
  EXPECT_FALSE(Call(true, "/grpc.health.v1.HealthX/Check", {}).ok());
}

TEST_F(ApiKeysFileTest, ServerAuthRefusesKeysWithoutTlsAndHalfAPair) {
  Write(absl::StrCat("alice ", kAliceKey, "\n"));
  ServerAuthOptions keys_only;
  keys_only.api_keys_file = path_;
  absl::StatusOr<std::unique_ptr<ServerAuth>> plaintext = ServerAuth::Create(keys_only);
  ASSERT_FALSE(plaintext.ok());
  EXPECT_THAT(plaintext.status().message(), HasSubstr("--api_keys_file needs TLS"));

  ServerAuthOptions token_only;
  token_only.worker_token_file = path_;
  EXPECT_THAT(ServerAuth::Create(token_only).status().message(),
              HasSubstr("--worker_token_file needs TLS"));

  ServerAuthOptions half;
  half.tls_cert_file = dir_ + "/server.pem";
  EXPECT_THAT(ServerAuth::Create(half).status().message(),
              HasSubstr("--tls_cert_file and --tls_key_file go together"));

  absl::StatusOr<std::unique_ptr<ServerAuth>> none = ServerAuth::Create({});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ((*none)->api_keys(), nullptr);
}

}  // namespace
}  // namespace flowgrid::auth
