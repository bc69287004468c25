// End-to-end: the scheduler's input limits through real gRPC. A cluster
// started with small --max_workflow_bytes, --max_code_bytes and
// --max_input_bytes runs a workflow exactly at each limit, and refuses one
// byte more with INVALID_ARGUMENT naming the node or input, both sizes and
// the flag (SubmitRun and RunNode; ValidateWorkflow reports it as a
// diagnostic). A cluster with a small --max_watch_rate refuses a client's
// WatchRun opened too soon with RESOURCE_EXHAUSTED and a retry-after-ms
// trailer, and the SDK's Watch waits that out and succeeds. Refusals show
// in flowgrid_submissions_rejected_total.
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"
#include "tests/unit/common/http_get.h"
#include "tests/unit/common/prometheus_samples.h"

namespace flowgrid {
namespace {

using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(60);
constexpr int64_t kMaxWorkflowBytes = 20000;
constexpr int64_t kMaxCodeBytes = 2000;
constexpr int64_t kMaxInputBytes = 3000;
// One stream per 4 s (burst 1): a wide margin between two opens that must
// fall within one interval on a busy machine.
constexpr double kMaxWatchRate = 0.25;

class InputLimitsTest : public e2e::ClusterTest {
 protected:
  void Start(const std::string& name, std::vector<std::string> scheduler_args) {
    ASSERT_NO_FATAL_FAILURE(StartCluster(name, 1, 2, kWait, [&](LocalClusterOptions& options) {
      options.scheduler_metrics_addr = "127.0.0.1:0";
      options.extra_scheduler_args = scheduler_args;
    }));
    absl::StatusOr<v1::Workflow> hello = LoadWorkflowFile(e2e::kExamples + "hello.json");
    ASSERT_TRUE(hello.ok()) << hello.status();
    hello_ = *std::move(hello);
  }

  double Rejected(const std::string& reason) {
    absl::StatusOr<std::string> body =
        testing::HttpGet(cluster_->scheduler_metrics_address(), "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    if (!body.ok()) return -1;
    const std::map<std::string, double> samples = testing::ParseSamples(*body);
    auto it = samples.find("flowgrid_submissions_rejected_total{reason=\"" + reason + "\"}");
    return it == samples.end() ? -1 : it->second;
  }

  v1::Workflow hello_;  // start(name) -> greet (Python) -> end(greeting)
};

v1::Node& NodeById(v1::Workflow& workflow, const std::string& id) {
  for (v1::Node& node : *workflow.mutable_nodes()) {
    if (node.id() == id) return node;
  }
  ADD_FAILURE() << "no node " << id;
  return *workflow.mutable_nodes(0);
}

// `workflow` with its greet code padded by a comment to `bytes`.
v1::Workflow WithCodeBytes(v1::Workflow workflow, int64_t bytes) {
  std::string* code = NodeById(workflow, "greet").mutable_code()->mutable_code();
  code->append("#");
  code->resize(static_cast<size_t>(bytes), 'x');
  return workflow;
}

// `workflow` with its end node's title grown until the workflow serializes
// to `bytes` (a longer title can also grow its length prefix by a byte).
v1::Workflow WithWorkflowBytes(v1::Workflow workflow, int64_t bytes) {
  std::string* title = NodeById(workflow, "end").mutable_title();
  for (int i = 0; i < 10 && static_cast<int64_t>(workflow.ByteSizeLong()) != bytes; ++i) {
    const int64_t missing = bytes - static_cast<int64_t>(workflow.ByteSizeLong());
    title->resize(static_cast<size_t>(static_cast<int64_t>(title->size()) + missing), 't');
  }
  EXPECT_EQ(static_cast<int64_t>(workflow.ByteSizeLong()), bytes);
  return workflow;
}

ValueMap Name(const std::string& name) {
  ValueMap inputs;
  inputs["name"] = StringValue(name);
  return inputs;
}

// {"name": a string} counting `bytes` (at least 135): the name, a tag, a
// two-byte length and the string.
ValueMap NameOfBytes(int64_t bytes) {
  ValueMap inputs;
  inputs["name"] = StringValue(std::string(static_cast<size_t>(bytes) - 7, 'n'));
  EXPECT_EQ(static_cast<int64_t>(4 + inputs["name"].ByteSizeLong()), bytes);
  return inputs;
}

TEST_F(InputLimitsTest, EachSizeLimitRunsAtTheLimitAndRefusesOneByteMore) {
  ASSERT_NO_FATAL_FAILURE(Start(
      "flowgrid-e2e-input-limits",
      {"--max_workflow_bytes=" + std::to_string(kMaxWorkflowBytes),
       "--max_code_bytes=" + std::to_string(kMaxCodeBytes),
       "--max_input_bytes=" + std::to_string(kMaxInputBytes)}));

  // Everything at its limit at once: it runs.
  const v1::Workflow at_limits =
      WithWorkflowBytes(WithCodeBytes(hello_, kMaxCodeBytes), kMaxWorkflowBytes);
  absl::StatusOr<v1::RunFinished> finished =
      client_->Run(at_limits, NameOfBytes(kMaxInputBytes), nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->error().message();
  EXPECT_EQ(finished->outputs().at("greeting").string_value().size(),
            static_cast<size_t>(kMaxInputBytes - 7 + 8));
  absl::StatusOr<v1::RunNodeResponse> ran =
      client_->RunNode(at_limits, "greet", NameOfBytes(kMaxInputBytes));
  ASSERT_TRUE(ran.ok()) << ran.status();
  EXPECT_EQ(ran->result().status(), v1::NODE_SUCCEEDED);
  absl::StatusOr<v1::ValidateWorkflowResponse> validated = client_->Validate(at_limits);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_TRUE(validated->valid());

  // One byte more of code.
  const v1::Workflow big_code = WithCodeBytes(hello_, kMaxCodeBytes + 1);
  const std::string code_error =
      "node greet: code.code: 2001 bytes, over the limit of 2000 bytes per code or template "
      "(--max_code_bytes)";
  absl::StatusOr<std::string> submitted = client_->Submit(big_code, Name("limits"));
  EXPECT_EQ(submitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(submitted.status().message(), HasSubstr(code_error));
  ran = client_->RunNode(big_code, "greet", Name("limits"));
  EXPECT_EQ(ran.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ran.status().message(), HasSubstr(code_error));
  validated = client_->Validate(big_code);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_FALSE(validated->valid());
  ASSERT_EQ(validated->diagnostics_size(), 1);
  EXPECT_EQ(validated->diagnostics(0).node_id(), "greet");
  EXPECT_EQ(validated->diagnostics(0).field(), "code.code");

  // One byte more of workflow.
  const v1::Workflow big_workflow = WithWorkflowBytes(hello_, kMaxWorkflowBytes + 1);
  submitted = client_->Submit(big_workflow, Name("limits"));
  EXPECT_EQ(submitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(submitted.status().message(),
              HasSubstr("workflow: 20001 bytes serialized, over the limit of 20000 bytes "
                        "(--max_workflow_bytes)"));
  validated = client_->Validate(big_workflow);
  ASSERT_TRUE(validated.ok()) << validated.status();
  EXPECT_FALSE(validated->valid());

  // One byte more of input.
  submitted = client_->Submit(hello_, NameOfBytes(kMaxInputBytes + 1));
  EXPECT_EQ(submitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(submitted.status().message(),
              HasSubstr("inputs.name: 3001 bytes serialized, over the limit of 3000 bytes for "
                        "the inputs and system values together (--max_input_bytes)"));
  // ... also when a system value makes it.
  ValueMap system;
  system["query"] = StringValue("q");
  submitted = client_->Submit(hello_, NameOfBytes(kMaxInputBytes), "", system);
  EXPECT_EQ(submitted.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(submitted.status().message(),
              HasSubstr("inputs: the inputs and system values together are 3008 bytes "
                        "serialized, over the limit of 3000 bytes (--max_input_bytes); the "
                        "largest is inputs.name (3000 bytes)"));
  ran = client_->RunNode(hello_, "greet", NameOfBytes(kMaxInputBytes + 1));
  EXPECT_EQ(ran.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ran.status().message(), HasSubstr("inputs.name: 3001 bytes serialized"));

  // The refused SubmitRuns (RunNode and Validate are not submissions).
  EXPECT_EQ(Rejected("too_large"), 4);
  EXPECT_EQ(Rejected("invalid"), 0);
}

// WatchRun without the SDK's retries: what any gRPC client sees.
struct RawWatch {
  grpc::Status status;
  int events = 0;
  std::string retry_after_ms;
};

RawWatch WatchOnce(const std::string& address, const std::string& run_id) {
  std::unique_ptr<v1::WorkflowService::Stub> stub = v1::WorkflowService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kWait));
  v1::WatchRunRequest request;
  request.set_run_id(run_id);
  std::unique_ptr<grpc::ClientReader<v1::RunEvent>> reader = stub->WatchRun(&context, request);
  RawWatch watch;
  v1::RunEvent event;
  while (reader->Read(&event)) ++watch.events;
  watch.status = reader->Finish();
  for (const auto& [key, value] : context.GetServerTrailingMetadata()) {
    if (key == "retry-after-ms") watch.retry_after_ms = std::string(value.data(), value.size());
  }
  return watch;
}

TEST_F(InputLimitsTest, WatchStreamsOverTheClientsRateAreRefusedWithARetryDelay) {
  ASSERT_NO_FATAL_FAILURE(Start("flowgrid-e2e-watch-rate",
                                {"--max_watch_rate=" + std::to_string(kMaxWatchRate)}));
  absl::StatusOr<std::string> run_id = client_->Submit(hello_, Name("limits"));
  ASSERT_TRUE(run_id.ok()) << run_id.status();
  // Finished, seen without a watch.
  const absl::Time deadline = absl::Now() + kWait;
  while (true) {
    absl::StatusOr<v1::Run> run = client_->Get(*run_id);
    ASSERT_TRUE(run.ok()) << run.status();
    if (run->status() == v1::RUN_SUCCEEDED) break;
    ASSERT_LT(absl::Now(), deadline) << "the run did not succeed: " << run->DebugString();
    absl::SleepFor(absl::Milliseconds(50));
  }

  // The client's one stream of the burst.
  RawWatch first = WatchOnce(cluster_->client_address(), *run_id);
  EXPECT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_GT(first.events, 0);

  RawWatch second = WatchOnce(cluster_->client_address(), *run_id);
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(second.status.error_message(),
              HasSubstr("client 127.0.0.1 opens WatchRun streams faster than its limit of 0.25 "
                        "per second (--max_watch_rate); retry in "));
  EXPECT_EQ(second.events, 0);
  int64_t retry_after_ms = 0;
  EXPECT_TRUE(absl::SimpleAtoi(second.retry_after_ms, &retry_after_ms)) << second.retry_after_ms;
  EXPECT_GT(retry_after_ms, 0);
  EXPECT_LE(retry_after_ms, 4000);

  // The SDK is refused too, waits the delay it is given and gets the run.
  absl::StatusOr<v1::RunFinished> finished = client_->Watch(*run_id, 0, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED);
  EXPECT_EQ(Rejected("rate_limited"), 2);
}

}  // namespace
}  // namespace flowgrid
