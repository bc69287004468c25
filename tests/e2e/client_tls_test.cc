// The C++ SDK against a secure local cluster: TLS on both ports (the dev
// PKI, common/tls/dev_pki.h), the worker admitted by its client certificate
// (mutual TLS), API keys required on the client port. A client with the CA
// and a key runs workflows and reads the cluster; a missing or wrong key is
// UNAUTHENTICATED on every call; plaintext, another CA or a name the
// certificate does not carry never connect.
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/sdk/client.h"
#include "common/tls/dev_pki.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kApiKey[] = "sdk-tls-test-key-0123456789";
constexpr char kOtherClientKey[] = "another-client-key-9876543210";

class ClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_dir_ = new std::string(e2e::MakeWorkDir("flowgrid-client-tls"));
    ASSERT_FALSE(work_dir_->empty());
    LocalClusterOptions options = e2e::ClusterOptions(*work_dir_, 1, 2);
    // Job uids of its own, clear of the other test clusters' ranges.
    options.worker_uid_base = 14000000 + (::getpid() % 1000) * 1024;
    options.tls_dir = *work_dir_ + "/tls";
    options.api_keys_file = *work_dir_ + "/api-keys";
    std::ofstream(options.api_keys_file) << "# NAME KEY\nsdk-test " << kApiKey << "\nother "
                                         << kOtherClientKey << "\n";
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = cluster->release();
    ASSERT_TRUE(cluster_->dev_pki().has_value());
  }

  static void TearDownTestSuite() {
    std::unique_ptr<LocalCluster> cluster(cluster_);
    e2e::StopAndCleanUp(cluster, *work_dir_, !::testing::UnitTest::GetInstance()->Passed(),
                        "client TLS e2e");
    delete work_dir_;
  }

  void SetUp() override { ASSERT_NE(cluster_, nullptr); }

  // TLS verified against the cluster's CA, with `api_key`.
  static ClientOptions SecureOptions(const std::string& api_key) {
    ClientOptions options;
    options.tls.enabled = true;
    options.tls.ca_file = cluster_->dev_pki()->ca_cert;
    options.api_key = api_key;
    options.connect_timeout = absl::Seconds(10);
    options.watch_timeout = absl::Seconds(60);
    return options;
  }

  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options) {
    return Client::Connect(cluster_->client_address(), options);
  }

  static std::string* work_dir_;
  static LocalCluster* cluster_;
};

std::string* ClientTlsTest::work_dir_ = nullptr;
LocalCluster* ClientTlsTest::cluster_ = nullptr;

TEST_F(ClientTlsTest, RunsWorkflowsOverTlsWithAnApiKeyOnAWorkerAdmittedByItsCertificate) {
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(SecureOptions(kApiKey));
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<v1::Workflow> hello = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(hello.ok()) << hello.status();
  ValueMap inputs;
  inputs["name"] = StringValue("TLS");
  int events = 0;
  absl::StatusOr<v1::RunFinished> finished =
      (*client)->Run(*hello, inputs, [&](const v1::RunEvent&) { ++events; });
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(finished->outputs().at("greeting").string_value(), "Hello, TLS!");
  EXPECT_GT(events, 3);

  // The worker that ran it came in through the mutual-TLS worker port.
  absl::StatusOr<v1::ListWorkersResponse> workers = (*client)->ListWorkers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  ASSERT_EQ(workers->workers_size(), 1);
  EXPECT_EQ(workers->workers(0).state(), v1::WorkerStatus::CONNECTED);

  // Another key of the file works as well, and sees the same history.
  absl::StatusOr<std::unique_ptr<Client>> other = Connect(SecureOptions(kOtherClientKey));
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<v1::ListRunsResponse> runs = (*other)->List(10);
  ASSERT_TRUE(runs.ok()) << runs.status();
  EXPECT_GE(runs->runs_size(), 1);
}

TEST_F(ClientTlsTest, AMissingOrWrongKeyIsUnauthenticatedOnEveryCall) {
  absl::StatusOr<v1::Workflow> hello = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(hello.ok()) << hello.status();
  const std::string wrong_key = "not-a-key-of-this-cluster-42";
  for (const std::string& key : {std::string(), wrong_key}) {
    SCOPED_TRACE(key.empty() ? "no key" : "wrong key");
    ClientOptions options = SecureOptions(key);
    options.retry.max_attempts = 1;
    // The channel is secure and comes up: only the calls are refused.
    absl::StatusOr<std::unique_ptr<Client>> client = Connect(options);
    ASSERT_TRUE(client.ok()) << client.status();
    Client& c = **client;
    const std::vector<std::pair<std::string, absl::Status>> calls = {
        {"Submit", c.Submit(*hello, {}).status()},
        {"Watch", c.Watch("any-run", 0, nullptr).status()},
        {"Get", c.Get("any-run").status()},
        {"List", c.List(10).status()},
        {"Cancel", c.Cancel("any-run").status()},
        {"Validate", c.Validate(*hello).status()},
        {"RunNode", c.RunNode(*hello, "greet", {}).status()},
        {"ListWorkers", c.ListWorkers().status()},
        {"DrainWorker", c.DrainWorker("any-worker")},
    };
    for (const auto& [call, status] : calls) {
      EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << call << ": " << status;
      EXPECT_THAT(status.message(), Not(HasSubstr(wrong_key))) << call;
    }
  }
}

TEST_F(ClientTlsTest, PlaintextAnotherCaOrAnotherNameNeverConnect) {
  ClientOptions plaintext;
  plaintext.api_key = kApiKey;
  plaintext.connect_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> refused = Connect(plaintext);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr(cluster_->client_address()));

  // A CA of its own: the scheduler's certificate is not signed by it.
  absl::StatusOr<tls::DevPki> other_pki = tls::EnsureDevPki(*work_dir_ + "/other-tls");
  ASSERT_TRUE(other_pki.ok()) << other_pki.status();
  ClientOptions other_ca = SecureOptions(kApiKey);
  other_ca.tls.ca_file = other_pki->ca_cert;
  other_ca.connect_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> untrusted = Connect(other_ca);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_EQ(untrusted.status().code(), absl::StatusCode::kUnavailable);
  // Connect passes on gRPC's reason.
  EXPECT_THAT(untrusted.status().message(), HasSubstr("certificate verify failed"));

  // The certificate names localhost and 127.0.0.1, not this.
  ClientOptions wrong_name = SecureOptions(kApiKey);
  wrong_name.tls.server_name = "scheduler.example";
  wrong_name.connect_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<Client>> misnamed = Connect(wrong_name);
  ASSERT_FALSE(misnamed.ok());
  EXPECT_EQ(misnamed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(misnamed.status().message(), HasSubstr("scheduler.example"));
}

TEST_F(ClientTlsTest, TheServerNameOverrideIsWhatTheCertificateIsCheckedAgainst) {
  ClientOptions options = SecureOptions(kApiKey);
  options.tls.server_name = "localhost";
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(options);
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->List(1).ok());
}

}  // namespace
}  // namespace flowgrid
