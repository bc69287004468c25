// End-to-end: the worker's metrics and health endpoints. A local cluster of
// one worker started with --metrics_addr, --health_addr and --ready_file
// runs a Python and a JavaScript code node and one that times out; the
// worker's /metrics counts them by language and verdict, has sandbox setup
// observations and slot gauges; its gRPC health ("" service) is SERVING while
// connected, and NOT_SERVING as soon as SIGTERM starts a drain — a slow job
// keeps the drain open meanwhile, and still finishes before the worker exits
// 0. Every wait is bounded.
#include <signal.h>

#include <chrono>
#include <future>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "google/protobuf/wrappers.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/e2e_support.h"
#include "tests/unit/common/http_get.h"

namespace flowgrid {
namespace {

// Bounds every wait of the test.
constexpr absl::Duration kWait = absl::Seconds(60);
constexpr absl::Duration kPoll = absl::Milliseconds(50);

// grpc.health.v1.HealthCheckResponse.ServingStatus.
constexpr int kServing = 1;
constexpr int kNotServing = 2;

// The status grpc.health.v1.Health/Check reports for service "" at
// `address`. There is no generated health stub here; the messages are
// wire-compatible with protobuf's wrappers: HealthCheckRequest is one string
// field 1 (StringValue) and HealthCheckResponse one enum field 1, a varint
// like Int32Value's.
absl::StatusOr<int> HealthStatus(const std::string& address) {
  grpc::TemplatedGenericStub<google::protobuf::StringValue, google::protobuf::Int32Value> stub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  google::protobuf::StringValue request;  // service ""
  google::protobuf::Int32Value response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                 &response, [&done](grpc::Status status) { done.set_value(std::move(status)); });
  const grpc::Status status = done.get_future().get();
  if (!status.ok()) {
    return absl::UnavailableError(absl::StrCat("health check of ", address, ": ",
                                               status.error_message()));
  }
  return response.value();
}

// The value of `series` (exactly as exposed: name{label="value",...}) in a
// text exposition; nullopt when absent.
std::optional<double> SeriesValue(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " ")) continue;
    double value = 0;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return std::nullopt;
}

std::string Jobs(const std::string& language, const std::string& verdict) {
  return absl::StrCat("flowgrid_worker_jobs_total{language=\"", language, "\",verdict=\"",
                      verdict, "\"}");
}

v1::Workflow WorkflowOrDie(absl::string_view json) {
  absl::StatusOr<v1::Workflow> workflow = ParseWorkflowJson(json);
  EXPECT_TRUE(workflow.ok()) << workflow.status();
  return workflow.value_or(v1::Workflow{});
}

// start -> py (Python) -> js (JavaScript) -> end.
v1::Workflow PythonThenJavaScript() {
  return WorkflowOrDie(R"json({
    "name": "py-then-js",
    "nodes": [
      {"id": "start", "start": {}},
      {"id": "py", "code": {"language": "PYTHON3",
        "code": "def main():\n    return {'n': 1}\n", "outputs": {"n": {"kind": "NUMBER"}}}},
      {"id": "js", "code": {"language": "JAVASCRIPT",
        "code": "function main({n}) {\n  return {m: n + 1};\n}\n",
        "inputs": [{"name": "n", "selector": ["py", "n"]}],
        "outputs": {"m": {"kind": "NUMBER"}}}},
      {"id": "end", "end": {"outputs": [{"name": "m", "selector": ["js", "m"]}]}}],
    "edges": [{"source": "start", "target": "py"}, {"source": "py", "target": "js"},
              {"source": "js", "target": "end"}]})json");
}

// A Python node spinning past its 500 ms timeout.
v1::Workflow TimesOut() {
  return WorkflowOrDie(R"json({
    "name": "times-out",
    "nodes": [
      {"id": "start", "start": {}},
      {"id": "spin", "code": {"language": "PYTHON3",
        "code": "def main():\n    while True:\n        pass\n"},
        "limits": {"timeoutMs": "500"}},
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "spin"}, {"source": "spin", "target": "end"}]})json");
}

// A Python node busy for about three seconds.
v1::Workflow Slow() {
  return WorkflowOrDie(R"json({
    "name": "slow",
    "nodes": [
      {"id": "start", "start": {}},
      {"id": "slow", "code": {"language": "PYTHON3",
        "code": "import time\ndef main():\n    until = time.monotonic() + 3\n    while time.monotonic() < until:\n        pass\n    return {}\n"}},
      {"id": "end", "end": {}}],
    "edges": [{"source": "start", "target": "slow"}, {"source": "slow", "target": "end"}]})json");
}

class WorkerObservabilityTest : public e2e::ClusterTest {
 protected:
  void SetUp() override {
    std::string ready_file;
    ASSERT_NO_FATAL_FAILURE(StartCluster(
        "flowgrid-e2e-worker-metrics", 1, 2, kWait, [&](LocalClusterOptions& options) {
          ready_file = options.data_dir + "/worker.ready.json";
          options.extra_worker_args = {"--metrics_addr=127.0.0.1:0", "--health_addr=127.0.0.1:0",
                                       "--ready_file=" + ready_file};
        }));

    // The ready file appears whole (tmp + rename) once both endpoints listen.
    const absl::Time deadline = absl::Now() + kWait;
    while (!std::filesystem::exists(ready_file)) {
      ASSERT_LT(absl::Now(), deadline) << "the worker wrote no " << ready_file;
      absl::SleepFor(kPoll);
    }
    absl::StatusOr<std::string> text = ReadFile(ready_file);
    ASSERT_TRUE(text.ok()) << text.status();
    const nlohmann::json ready = nlohmann::json::parse(*text, nullptr, false);
    ASSERT_TRUE(ready.is_object()) << *text;
    ASSERT_TRUE(ready.contains("metrics_addr") && ready.contains("health_addr")) << *text;
    metrics_addr_ = ready["metrics_addr"].get<std::string>();
    health_addr_ = ready["health_addr"].get<std::string>();
  }

  std::string Scrape() {
    absl::StatusOr<std::string> text = testing::HttpGet(metrics_addr_, "/metrics");
    EXPECT_TRUE(text.ok()) << text.status();
    return text.value_or("");
  }

  double Exposed(const std::string& exposition, const std::string& series) {
    const std::optional<double> value = SeriesValue(exposition, series);
    EXPECT_TRUE(value.has_value()) << series << " is not exposed";
    return value.value_or(-1);
  }

  // Polls the health service until it reports `wanted`; false after kWait.
  bool WaitForHealth(int wanted) {
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline) {
      if (absl::StatusOr<int> status = HealthStatus(health_addr_);
          status.ok() && *status == wanted) {
        return true;
      }
      absl::SleepFor(kPoll);
    }
    return false;
  }

  std::string metrics_addr_;
  std::string health_addr_;
};

TEST_F(WorkerObservabilityTest, MetricsCountJobsAndHealthFollowsConnectionAndDrain) {
  ASSERT_TRUE(WaitForHealth(kServing)) << "the connected worker never reported SERVING";

  // Validation compiles every code node on the worker (CHECK_CODE jobs) and
  // caches the verdicts, so that the runs below start exactly one job per
  // node.
  for (const v1::Workflow& workflow : {PythonThenJavaScript(), TimesOut(), Slow()}) {
    absl::StatusOr<v1::ValidateWorkflowResponse> validation = client_->Validate(workflow);
    ASSERT_TRUE(validation.ok()) << validation.status();
    EXPECT_TRUE(validation->valid()) << validation->DebugString();
  }
  const std::string before = Scrape();

  absl::StatusOr<v1::RunFinished> finished =
      client_->Run(PythonThenJavaScript(), ValueMap{}, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->DebugString();
  finished = client_->Run(TimesOut(), ValueMap{}, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_FAILED) << finished->DebugString();
  EXPECT_EQ(finished->error().code(), v1::TIMEOUT) << finished->DebugString();

  const std::string after = Scrape();
  const std::pair<std::string, std::string> ran[] = {
      {"python3", "ok"}, {"javascript", "ok"}, {"python3", "timeout"}};
  for (const auto& [language, verdict] : ran) {
    EXPECT_EQ(Exposed(after, Jobs(language, verdict)),
              SeriesValue(before, Jobs(language, verdict)).value_or(0) + 1)
        << language << " " << verdict;
  }
  for (const char* language : {"python3", "javascript"}) {
    const std::string label = absl::StrCat("{language=\"", language, "\"}");
    EXPECT_GT(Exposed(after, "flowgrid_worker_sandbox_setup_seconds_count" + label), 0) << label;
    EXPECT_GT(Exposed(after, "flowgrid_worker_job_duration_seconds_count" + label), 0) << label;
    EXPECT_GT(Exposed(after, "flowgrid_worker_job_peak_memory_bytes_count" + label), 0) << label;
  }
  const std::string python_cpu = "flowgrid_worker_job_cpu_seconds_total{language=\"python3\"}";
  EXPECT_GT(Exposed(after, python_cpu), SeriesValue(before, python_cpu).value_or(0))
      << "the timed-out node spun";
  EXPECT_EQ(Exposed(after, "flowgrid_worker_slots{state=\"busy\"}"), 0);
  EXPECT_EQ(Exposed(after, "flowgrid_worker_slots{state=\"free\"}"), 2);
  EXPECT_EQ(Exposed(after, "flowgrid_worker_connected"), 1);
  EXPECT_EQ(Exposed(after, "flowgrid_worker_draining"), 0);
  EXPECT_EQ(Exposed(after, "flowgrid_build_info{component=\"worker\",version=\"0.1.0\"}"), 1);

  // A slow job running, then SIGTERM: the drain waits for the job, and
  // health turns NOT_SERVING meanwhile.
  absl::StatusOr<std::string> slow_run = client_->Submit(Slow(), ValueMap{});
  ASSERT_TRUE(slow_run.ok()) << slow_run.status();
  const absl::Time deadline = absl::Now() + kWait;
  while (SeriesValue(Scrape(), "flowgrid_worker_slots{state=\"busy\"}") != 1.0) {
    ASSERT_LT(absl::Now(), deadline) << "the slow job never took a slot";
    absl::SleepFor(kPoll);
  }
  const pid_t worker = e2e::WorkerPid("worker-1");
  ASSERT_GT(worker, 0);
  ASSERT_EQ(::kill(worker, SIGTERM), 0);
  EXPECT_TRUE(WaitForHealth(kNotServing)) << "health stayed SERVING during the drain";
  const std::string draining = Scrape();
  EXPECT_EQ(Exposed(draining, "flowgrid_worker_draining"), 1);
  EXPECT_EQ(Exposed(draining, "flowgrid_worker_slots{state=\"busy\"}"), 1)
      << "the drain began after the slow job ended: no window was tested";

  finished = client_->Watch(*slow_run, 0, nullptr);
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(finished->status(), v1::RUN_SUCCEEDED) << finished->DebugString();
  std::optional<ChildExit> exit;
  while (!(exit = cluster_->PollExited()).has_value()) {
    ASSERT_LT(absl::Now(), deadline) << "the drained worker did not exit";
    absl::SleepFor(kPoll);
  }
  EXPECT_EQ(exit->name, "worker-1");
  EXPECT_TRUE(exit->clean) << exit->description;
}

}  // namespace
}  // namespace flowgrid
