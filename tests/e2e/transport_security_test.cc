// Attacks on the ports: transport security and authentication end to end
// (docs/SECURITY.md section 6; ctest label security). A
// local cluster with the dev PKI (TLS on both ports, workers with client
// certificates and a shared token) and an API keys file; clients are raw
// gRPC stubs over grpc::SslCredentials with the key in metadata.
//
//   - a workflow runs for a known key (authorization: Bearer or x-api-key),
//     also through the C++ SDK's TLS options;
//     no key, an unknown key, reflection without a key: UNAUTHENTICATED;
//     health needs no key; a plaintext client cannot talk to a TLS port;
//     the worker port has no WorkflowService (UNIMPLEMENTED); the plaintext
//     --health_addr answers health only;
//   - the keys file is rotated (old key removed, new one added) and the
//     running scheduler follows it;
//   - workers with no client certificate, a certificate of another CA, a
//     wrong token or no TLS never connect, and a run submitted meanwhile
//     stays queued until a worker with valid credentials runs it.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/tls/dev_pki.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "flowgrid/v1/cluster.grpc.pb.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"

namespace flowgrid {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(60);
constexpr char kAliceKey[] = "alice-e2e-key-0123456789";
constexpr char kBobKey[] = "bob-e2e-key-abcdefghijkl";
constexpr char kWorkerToken[] = "e2e-worker-token-0123456789";

void WriteFile(const std::string& path, const std::string& text) {
  // Through a rename, as a secret volume or an editor's save replaces it.
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::rename(tmp, path);
}

std::string ReadLog(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  return text.value_or("");
}

std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, const std::string& ca_file,
                                          const std::string& cert_file = "",
                                          const std::string& key_file = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(ca_file).value_or("");
  if (!cert_file.empty()) {
    options.pem_cert_chain = ReadFile(cert_file).value_or("");
    options.pem_private_key = ReadFile(key_file).value_or("");
  }
  return grpc::CreateChannel(address, grpc::SslCredentials(options));
}

// A context with a deadline and, when `header` is set, a credential.
std::unique_ptr<grpc::ClientContext> Context(const std::string& header = "",
                                             const std::string& value = "") {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  if (!header.empty()) context->AddMetadata(header, value);
  return context;
}

std::string Bearer(const std::string& key) { return absl::StrCat("Bearer ", key); }

v1::SubmitRunRequest HelloRequest(const std::string& name) {
  v1::SubmitRunRequest request;
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(e2e::kExamples + "hello.json");
  EXPECT_TRUE(workflow.ok()) << workflow.status();
  if (workflow.ok()) *request.mutable_workflow() = *std::move(workflow);
  (*request.mutable_inputs())["name"] = StringValue(name);
  return request;
}

class AuthTest : public ::testing::Test {
 protected:
  // A TLS cluster with `workers` valid workers, API keys (alice) and a
  // worker token.
  void StartCluster(const std::string& name, int workers) {
    name_ = name;
    work_dir_ = e2e::MakeWorkDir(name);
    ASSERT_FALSE(work_dir_.empty());
    keys_file_ = work_dir_ + "/api-keys";
    WriteFile(keys_file_, absl::StrCat("# e2e\nalice ", kAliceKey, "\n"));
    WriteFile(work_dir_ + "/worker-token", absl::StrCat(kWorkerToken, "\n"));
    LocalClusterOptions options = e2e::ClusterOptions(work_dir_, workers, 1);
    options.worker_uid_base = 16000000;
    options.tls_dir = work_dir_ + "/tls";
    options.api_keys_file = keys_file_;
    options.worker_token_file = work_dir_ + "/worker-token";
    options.extra_scheduler_args = {"--health_addr=127.0.0.1:0"};
    absl::StatusOr<std::unique_ptr<LocalCluster>> cluster = LocalCluster::Start(options);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    ASSERT_TRUE(cluster_->dev_pki().has_value());
    ca_file_ = cluster_->dev_pki()->ca_cert;
    channel_ = TlsChannel(cluster_->client_address(), ca_file_);
    workflows_ = v1::WorkflowService::NewStub(channel_);
    workers_ = v1::ClusterService::NewStub(channel_);
  }

  void TearDown() override {
    workflows_.reset();
    workers_.reset();
    channel_.reset();
    e2e::StopAndCleanUp(cluster_, work_dir_, HasFailure(), name_);
  }

  int ConnectedWorkers() {
    v1::ListWorkersResponse response;
    grpc::Status status =
        workers_->ListWorkers(Context("authorization", Bearer(kAliceKey)).get(), {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.workers_size();
  }

  // Polls GetRun until the run finishes or `timeout` passes.
  v1::Run AwaitRun(const std::string& run_id, absl::Duration timeout) {
    v1::GetRunRequest request;
    request.set_run_id(run_id);
    v1::Run run;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      grpc::Status status =
          workflows_->GetRun(Context("authorization", Bearer(kAliceKey)).get(), request, &run);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (run.status() != v1::RUN_PENDING && run.status() != v1::RUN_RUNNING) break;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return run;
  }

  std::string name_;
  std::string work_dir_;
  std::string keys_file_;
  std::string ca_file_;
  std::unique_ptr<LocalCluster> cluster_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkflowService::Stub> workflows_;
  std::unique_ptr<v1::ClusterService::Stub> workers_;
};

TEST_F(AuthTest, ClientPortNeedsAKnownKeyExceptForHealth) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-e2e-auth-clients", 1));

  v1::SubmitRunResponse submitted;
  grpc::Status missing = workflows_->SubmitRun(Context().get(), HelloRequest("x"), &submitted);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(missing.error_message(), HasSubstr("missing API key"));

  grpc::Status wrong = workflows_->SubmitRun(
      Context("authorization", Bearer("not-a-key-but-long-enough")).get(), HelloRequest("x"),
      &submitted);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(wrong.error_message(), "unknown API key");

  v1::ListWorkersResponse listed;
  EXPECT_EQ(workers_->ListWorkers(Context().get(), {}, &listed).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // Reflection describes the API: it needs a key too.
  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(channel_);
  auto no_key = Context();
  auto stream = reflection->ServerReflectionInfo(no_key.get());
  grpc::reflection::v1alpha::ServerReflectionRequest list;
  list.set_list_services("");
  stream->Write(list);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse reflected;
  while (stream->Read(&reflected)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // Health needs no key or token (Kubernetes probes send none), on both
  // ports; the worker port still wants a worker's certificate.
  const tls::DevPki& pki = *cluster_->dev_pki();
  for (const std::shared_ptr<grpc::Channel>& channel :
       {channel_, TlsChannel(cluster_->worker_address(), ca_file_, pki.worker_cert,
                             pki.worker_key)}) {
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status checked = health->Check(Context().get(), request, &response);
    EXPECT_TRUE(checked.ok()) << checked.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  }

  // Probes that cannot speak TLS use --health_addr: plaintext, health only,
  // the TLS ports' statuses.
  absl::StatusOr<std::string> ready =
      ReadFile(cluster_->options().data_dir + "/scheduler.ready.json");
  ASSERT_TRUE(ready.ok()) << ready.status();
  const std::string health_addr =
      nlohmann::json::parse(*ready).value("health_addr", std::string());
  ASSERT_FALSE(health_addr.empty()) << *ready;
  auto plaintext_health = grpc::CreateChannel(health_addr, grpc::InsecureChannelCredentials());
  for (const std::string service : {"", "flowgrid.v1.WorkflowService", "flowgrid.v1.WorkerService"}) {
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status checked = grpc::health::v1::Health::NewStub(plaintext_health)
                               ->Check(Context().get(), request, &response);
    EXPECT_TRUE(checked.ok()) << service << ": " << checked.error_message();
    EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  v1::SubmitRunResponse on_health;
  EXPECT_EQ(v1::WorkflowService::NewStub(plaintext_health)
                ->SubmitRun(Context("authorization", Bearer(kAliceKey)).get(), HelloRequest("x"),
                            &on_health)
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  // A known key runs a workflow end to end, in either header.
  grpc::Status accepted = workflows_->SubmitRun(
      Context("authorization", Bearer(kAliceKey)).get(), HelloRequest("tls"), &submitted);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();
  v1::Run run = AwaitRun(submitted.run_id(), kWait);
  EXPECT_EQ(run.status(), v1::RUN_SUCCEEDED) << run.DebugString();
  EXPECT_EQ(run.outputs().at("greeting").string_value(), "Hello, tls!");
  v1::SubmitRunResponse second;
  EXPECT_TRUE(workflows_->SubmitRun(Context("x-api-key", kAliceKey).get(), HelloRequest("x"),
                                    &second)
                  .ok());

  // Plaintext against the TLS port gets no further than the handshake.
  auto plaintext = v1::WorkflowService::NewStub(
      grpc::CreateChannel(cluster_->client_address(), grpc::InsecureChannelCredentials()));
  auto short_deadline = Context("authorization", Bearer(kAliceKey));
  short_deadline->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::Status cleartext = plaintext->SubmitRun(short_deadline.get(), HelloRequest("x"), &second);
  EXPECT_FALSE(cleartext.ok());
  EXPECT_NE(cleartext.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The worker port, even with a worker's certificate and token, serves no
  // client API.
  auto on_worker_port = v1::WorkflowService::NewStub(
      TlsChannel(cluster_->worker_address(), ca_file_, pki.worker_cert, pki.worker_key));
  grpc::Status unimplemented = on_worker_port->SubmitRun(
      Context("authorization", Bearer(kWorkerToken)).get(), HelloRequest("x"), &second);
  EXPECT_EQ(unimplemented.error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << unimplemented.error_message();
}

TEST_F(AuthTest, SdkRunsAWorkflowOverTlsWithAKey) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-e2e-auth-sdk", 1));
  ClientOptions options;
  options.tls.enabled = true;
  options.tls.ca_file = ca_file_;
  options.api_key = kAliceKey;
  options.watch_timeout = kWait;
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Connect(cluster_->client_address(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(workflow.ok()) << workflow.status();
  ValueMap inputs;
  inputs["name"] = StringValue("sdk");
  absl::StatusOr<v1::RunFinished> finished =
      (*client)->Run(*workflow, inputs, [](const v1::RunEvent&) {});
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(finished->outputs().at("greeting").string_value(), "Hello, sdk!");

  options.api_key.clear();
  options.retry.max_attempts = 1;
  absl::StatusOr<std::unique_ptr<Client>> keyless =
      Client::Connect(cluster_->client_address(), options);
  ASSERT_TRUE(keyless.ok()) << keyless.status();
  EXPECT_EQ((*keyless)->Submit(*workflow, inputs).status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthTest, RotatedKeysFileTakesEffectWithoutRestart) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-e2e-auth-rotation", 0));
  v1::ListRunsResponse listed;
  ASSERT_TRUE(
      workflows_->ListRuns(Context("authorization", Bearer(kAliceKey)).get(), {}, &listed).ok());

  WriteFile(keys_file_, absl::StrCat("bob ", kBobKey, "\n"));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  grpc::Status alice, bob;
  do {
    absl::SleepFor(absl::Milliseconds(200));
    alice = workflows_->ListRuns(Context("authorization", Bearer(kAliceKey)).get(), {}, &listed);
    bob = workflows_->ListRuns(Context("authorization", Bearer(kBobKey)).get(), {}, &listed);
  } while ((alice.ok() || !bob.ok()) && absl::Now() < deadline);
  EXPECT_EQ(alice.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(bob.ok()) << bob.error_message();

  // A broken file keeps bob's key (and the scheduler says why, without it).
  WriteFile(keys_file_, absl::StrCat("bob ", kBobKey, "\ncarol\n"));
  const std::string log = cluster_->LogFiles().front().second;
  const absl::Time logged_by = absl::Now() + absl::Seconds(20);
  while (ReadLog(log).find("keeping the 1 API key(s)") == std::string::npos &&
         absl::Now() < logged_by) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_THAT(ReadLog(log), HasSubstr("line 2: expected \"NAME KEY\""));
  EXPECT_TRUE(
      workflows_->ListRuns(Context("authorization", Bearer(kBobKey)).get(), {}, &listed).ok());
  EXPECT_THAT(ReadLog(log), Not(HasSubstr(kBobKey)));
  EXPECT_THAT(ReadLog(log), Not(HasSubstr(kAliceKey)));
}

TEST_F(AuthTest, WorkersWithoutValidCredentialsNeverGetAJob) {
  ASSERT_NO_FATAL_FAILURE(StartCluster("flowgrid-e2e-auth-workers", 0));
  absl::StatusOr<tls::DevPki> other_ca = tls::EnsureDevPki(work_dir_ + "/other-tls");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  WriteFile(work_dir_ + "/wrong-token", "a-wrong-worker-token-012345\n");

  // Each with the line its log must show: a failed connection (the
  // handshake) or the scheduler refusing its token.
  constexpr char kNoConnection[] = "cannot connect to scheduler";
  constexpr char kRefusedToken[] = "refused this worker's credentials: unknown worker token";
  struct BadWorker {
    std::string why;
    std::vector<std::string> args;
    std::string expected_log;
    std::string name;
  };
  std::vector<BadWorker> bad = {
      {"no client certificate", {"--tls_cert_file=", "--tls_key_file="}, kNoConnection, ""},
      {"a certificate of another CA",
       {"--tls_cert_file=" + other_ca->worker_cert, "--tls_key_file=" + other_ca->worker_key},
       kNoConnection, ""},
      {"a wrong token", {"--token_file=" + work_dir_ + "/wrong-token"}, kRefusedToken, ""},
      {"no TLS", {"--tls_ca_file=", "--tls_cert_file=", "--tls_key_file=", "--token_file="},
       kNoConnection, ""},
  };
  for (BadWorker& worker : bad) {
    absl::StatusOr<std::string> name = cluster_->StartWorker(worker.args);
    ASSERT_TRUE(name.ok()) << name.status();
    worker.name = *name;
  }

  v1::SubmitRunResponse submitted;
  grpc::Status accepted = workflows_->SubmitRun(
      Context("authorization", Bearer(kAliceKey)).get(), HelloRequest("queued"), &submitted);
  ASSERT_TRUE(accepted.ok()) << accepted.error_message();

  // Until every bad worker has logged its refusal, and 2 s more of retries.
  const std::vector<std::pair<std::string, std::string>> logs = cluster_->LogFiles();
  auto log_of = [&](const std::string& name) {
    for (const auto& [child, path] : logs) {
      if (child == name) return ReadLog(path);
    }
    return std::string();
  };
  const absl::Time deadline = absl::Now() + kWait;
  auto all_tried = [&] {
    for (const BadWorker& worker : bad) {
      const std::string log = log_of(worker.name);
      if (log.find(worker.expected_log) == std::string::npos) return false;
    }
    return true;
  };
  while (!all_tried() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(200));
  absl::SleepFor(absl::Seconds(2));
  for (const BadWorker& worker : bad) {
    const std::string log = log_of(worker.name);
    EXPECT_THAT(log, HasSubstr(worker.expected_log)) << worker.why;
    EXPECT_THAT(log, Not(HasSubstr("connected to scheduler"))) << worker.why;
    EXPECT_THAT(log, Not(HasSubstr(kWorkerToken))) << worker.why;
  }

  EXPECT_EQ(ConnectedWorkers(), 0);
  v1::GetRunRequest get;
  get.set_run_id(submitted.run_id());
  v1::Run run;
  ASSERT_TRUE(
      workflows_->GetRun(Context("authorization", Bearer(kAliceKey)).get(), get, &run).ok());
  EXPECT_THAT(run.status(), AnyOf(v1::RUN_PENDING, v1::RUN_RUNNING)) << run.DebugString();
  for (const v1::NodeExecution& node : run.nodes()) {
    EXPECT_FALSE(node.has_result() && node.node_id() == "greet") << run.DebugString();
  }
  // Every bad worker is still there, retrying.
  EXPECT_EQ(cluster_->PollExited(), std::nullopt);

  ASSERT_TRUE(cluster_->StartWorker().ok());
  run = AwaitRun(submitted.run_id(), kWait);
  EXPECT_EQ(run.status(), v1::RUN_SUCCEEDED) << run.DebugString();
  EXPECT_EQ(ConnectedWorkers(), 1);
}

}  // namespace
}  // namespace flowgrid
