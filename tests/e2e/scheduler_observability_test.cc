// End-to-end: what operators and Kubernetes see of a running scheduler. A
// local cluster (scheduler started with --metrics_addr, one worker) runs a
// workflow with a code node; the scheduler's /metrics shows the run and its
// job counted, with no run id in any label; both gRPC ports answer
// grpc.health.v1 SERVING for "" and their own service; server reflection
// lists the client API on the client port and is absent from the worker
// port; and at SIGTERM the health status turns NOT_SERVING before the
// scheduler stops.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "client/sdk/client.h"
#include "common/value_json.h"
#include "common/workflow_file.h"
#include "deploy/local/local_cluster.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_support.h"
#include "tests/e2e/grpc_probes.h"
#include "tests/unit/common/http_get.h"
#include "tests/unit/common/prometheus_samples.h"

namespace flowgrid {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(60);

class SchedulerObservabilityTest : public e2e::ClusterTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCluster(
        "flowgrid-e2e-observability", 1, 2, kWait,
        [](LocalClusterOptions& options) { options.scheduler_metrics_addr = "127.0.0.1:0"; }));
    // A worker stopped before it is up would die of the SIGTERM instead of
    // draining; and the gauges below count it.
    const absl::Time deadline = absl::Now() + kWait;
    while (true) {
      absl::StatusOr<v1::ListWorkersResponse> workers = client_->ListWorkers();
      ASSERT_TRUE(workers.ok()) << workers.status();
      if (workers->workers_size() == 1) break;
      ASSERT_LT(absl::Now(), deadline) << "the worker never connected";
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  std::map<std::string, double> Scrape() {
    absl::StatusOr<std::string> body =
        testing::HttpGet(cluster_->scheduler_metrics_address(), "/metrics");
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? testing::ParseSamples(*body) : std::map<std::string, double>();
  }
};

// How much `series` grew from `before` to `after` (a missing series: -1).
double Growth(const std::map<std::string, double>& before,
              const std::map<std::string, double>& after, const std::string& series) {
  auto old_value = before.find(series);
  auto new_value = after.find(series);
  if (old_value == before.end() || new_value == after.end()) return -1;
  return new_value->second - old_value->second;
}

TEST_F(SchedulerObservabilityTest, MetricsCountARunAndItsJobWithoutItsId) {
  const std::map<std::string, double> before = Scrape();
  EXPECT_EQ(before.at("flowgrid_build_info{component=\"scheduler\",version=\"0.1.0\"}"), 1);
  EXPECT_TRUE(before.contains("process_resident_memory_bytes"));

  absl::StatusOr<v1::Workflow> workflow = LoadWorkflowFile(e2e::kExamples + "hello.json");
  ASSERT_TRUE(workflow.ok()) << workflow.status();
  ValueMap inputs;
  inputs["name"] = StringValue("metrics");
  std::string run_id;
  absl::StatusOr<v1::RunFinished> finished = client_->Run(
      *workflow, inputs, [](const v1::RunEvent&) {},
      [&run_id](const std::string& id) { run_id = id; });
  ASSERT_TRUE(finished.ok()) << finished.status();
  ASSERT_EQ(finished->status(), v1::RUN_SUCCEEDED);
  ASSERT_FALSE(run_id.empty());

  const std::map<std::string, double> after = Scrape();
  EXPECT_EQ(Growth(before, after, "flowgrid_runs_submitted_total"), 1);
  EXPECT_EQ(Growth(before, after, "flowgrid_runs_finished_total{status=\"succeeded\"}"), 1);
  // The run's job, and the check of its code when it was submitted.
  EXPECT_GE(Growth(before, after,
                   "flowgrid_jobs_finished_total{language=\"python3\",verdict=\"ok\"}"),
            1);
  EXPECT_GE(Growth(before, after, "flowgrid_jobs_dispatched_total{language=\"python3\"}"), 1);
  EXPECT_EQ(Growth(before, after, "flowgrid_run_duration_seconds_count"), 1);
  EXPECT_GE(Growth(before, after, "flowgrid_store_write_duration_seconds_count"), 1);
  EXPECT_EQ(after.at("flowgrid_runs_active"), 0);
  EXPECT_EQ(after.at("flowgrid_workers_connected"), 1);
  EXPECT_EQ(after.at("flowgrid_queue_depth{language=\"python3\"}"), 0);
  EXPECT_EQ(after.at("flowgrid_slots{state=\"busy\"}") + after.at("flowgrid_slots{state=\"free\"}"),
            2);
  for (const auto& [series, value] : after) {
    EXPECT_EQ(series.find(run_id), std::string::npos) << series;
  }
}

TEST_F(SchedulerObservabilityTest, BothPortsServeHealthAndOnlyTheClientPortReflection) {
  const std::string client = cluster_->client_address();
  const std::string worker = cluster_->worker_address();
  EXPECT_EQ(e2e::CheckHealth(client, "").value_or("error"), "SERVING");
  EXPECT_EQ(e2e::CheckHealth(client, "flowgrid.v1.WorkflowService").value_or("error"), "SERVING");
  EXPECT_EQ(e2e::CheckHealth(worker, "").value_or("error"), "SERVING");
  EXPECT_EQ(e2e::CheckHealth(worker, "flowgrid.v1.WorkerService").value_or("error"), "SERVING");
  EXPECT_EQ(e2e::CheckHealth(worker, "flowgrid.v1.WorkflowService").status().code(),
            absl::StatusCode::kNotFound);

  absl::StatusOr<std::vector<std::string>> services = e2e::ListServices(client);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("flowgrid.v1.WorkflowService"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
  EXPECT_THAT(*services, Not(Contains("flowgrid.v1.WorkerService")));
  EXPECT_EQ(e2e::ListServices(worker).status().code(), absl::StatusCode::kUnimplemented);
}

TEST_F(SchedulerObservabilityTest, HealthTurnsNotServingAtSigtermBeforeTheSchedulerStops) {
  e2e::HealthWatch watch(cluster_->client_address(), "flowgrid.v1.WorkflowService", kWait);
  ASSERT_THAT(watch.AwaitStatuses(1, kWait), ::testing::ElementsAre("SERVING"));
  absl::StatusOr<ChildExit> stopped =
      cluster_->StopScheduler(LocalCluster::StopSignal::kTerminate);
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->clean) << stopped->description;
  EXPECT_THAT(watch.AwaitEnd(), ::testing::ElementsAre("SERVING", "NOT_SERVING"));
}

}  // namespace
}  // namespace flowgrid
