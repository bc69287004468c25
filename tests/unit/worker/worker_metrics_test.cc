// The worker's metrics object (worker/metrics/worker_metrics.h) and the
// slot pool's slot gauges, read back through a registry of the test's own.
#include "worker/metrics/worker_metrics.h"

#include <poll.h>

#include "absl/synchronization/mutex.h"
#include "common/metrics/labels.h"
#include "gtest/gtest.h"
#include "tests/unit/worker/metrics_testing.h"
#include "worker/agent/slot_pool.h"

namespace flowgrid::metrics {
namespace {

v1::NodeResult Succeeded(int64_t wall_us, int64_t cpu_us, int64_t peak_memory_bytes) {
  v1::NodeResult result;
  result.set_status(v1::NODE_SUCCEEDED);
  result.mutable_usage()->set_wall_us(wall_us);
  result.mutable_usage()->set_cpu_us(cpu_us);
  result.mutable_usage()->set_peak_memory_bytes(peak_memory_bytes);
  return result;
}

v1::NodeResult Failed(v1::ErrorCode code) {
  v1::NodeResult result;
  result.set_status(v1::NODE_FAILED);
  result.mutable_error()->set_code(code);
  return result;
}

TEST(WorkerMetricsTest, LabelsAreTheCataloguesLowerCaseValues) {
  EXPECT_EQ(LanguageLabel(v1::Job::RUN_CODE, v1::CodeNode::PYTHON3), "python3");
  EXPECT_EQ(LanguageLabel(v1::Job::CHECK_CODE, v1::CodeNode::JAVASCRIPT), "javascript");
  // A template runs on Python whatever its language says.
  EXPECT_EQ(LanguageLabel(v1::Job::RENDER_TEMPLATE, v1::CodeNode::JAVASCRIPT), "python3");
  EXPECT_EQ(LanguageLabel(v1::Job::RUN_CODE, v1::CodeNode::LANGUAGE_UNSPECIFIED), "unspecified");
  EXPECT_EQ(VerdictLabel(Verdict(Succeeded(0, 0, 0))), "ok");
  EXPECT_EQ(VerdictLabel(Verdict(Failed(v1::TIMEOUT))), "timeout");
  EXPECT_EQ(VerdictLabel(Verdict(Failed(v1::RESULT_TOO_LARGE))), "result_too_large");
  EXPECT_EQ(VerdictLabel(Verdict(Failed(v1::WORKER_LOST))), "worker_lost");
}

TEST(WorkerMetricsTest, AFinishedJobIsCountedByVerdictAndItsUsageObserved) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, 2);
  metrics.JobFinished(v1::Job::RUN_CODE, v1::CodeNode::PYTHON3,
                      Succeeded(/*wall_us=*/250000, /*cpu_us=*/200000, /*peak=*/3 << 20));
  metrics.JobFinished(v1::Job::RUN_CODE, v1::CodeNode::PYTHON3,
                      Succeeded(/*wall_us=*/750000, /*cpu_us=*/500000, /*peak=*/100 << 20));
  v1::NodeResult timed_out = Failed(v1::TIMEOUT);
  timed_out.mutable_usage()->set_wall_us(2000000);
  timed_out.mutable_usage()->set_cpu_us(1000000);
  metrics.JobFinished(v1::Job::RUN_CODE, v1::CodeNode::JAVASCRIPT, timed_out);

  EXPECT_EQ(CounterValue(registry, "flowgrid_worker_jobs_total",
                         {{"language", "python3"}, {"verdict", "ok"}}),
            2);
  EXPECT_EQ(CounterValue(registry, "flowgrid_worker_jobs_total",
                         {{"language", "javascript"}, {"verdict", "timeout"}}),
            1);
  EXPECT_FALSE(Sample(registry, "flowgrid_worker_jobs_total",
                      {{"language", "javascript"}, {"verdict", "ok"}})
                   .has_value());

  const prometheus::ClientMetric::Histogram python_wall =
      Observed(registry, "flowgrid_worker_job_duration_seconds", {{"language", "python3"}});
  EXPECT_EQ(python_wall.sample_count, 2u);
  EXPECT_DOUBLE_EQ(python_wall.sample_sum, 1.0);
  EXPECT_DOUBLE_EQ(
      CounterValue(registry, "flowgrid_worker_job_cpu_seconds_total", {{"language", "python3"}}),
      0.7);
  EXPECT_DOUBLE_EQ(CounterValue(registry, "flowgrid_worker_job_cpu_seconds_total",
                                {{"language", "javascript"}}),
                   1.0);

  // Buckets 1 Mi, 4 Mi, 16 Mi, 64 Mi, 256 Mi, 1 Gi (+Inf): 3 MiB falls in
  // the second, 100 MiB in the fifth.
  const prometheus::ClientMetric::Histogram peak =
      Observed(registry, "flowgrid_worker_job_peak_memory_bytes", {{"language", "python3"}});
  ASSERT_EQ(peak.bucket.size(), 7u);
  const double expected_bounds[] = {1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30};
  const uint64_t expected_counts[] = {0, 1, 1, 1, 2, 2, 2};
  for (size_t i = 0; i < peak.bucket.size(); ++i) {
    if (i < 6) {
      EXPECT_EQ(peak.bucket[i].upper_bound, expected_bounds[i]) << i;
    }
    EXPECT_EQ(peak.bucket[i].cumulative_count, expected_counts[i]) << i;
  }
}

TEST(WorkerMetricsTest, PerLanguageSeriesExistBeforeAnyJob) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, 3);
  for (const char* language : {"python3", "javascript"}) {
    EXPECT_EQ(Observed(registry, "flowgrid_worker_sandbox_setup_seconds", {{"language", language}})
                  .bucket.size(),
              18u)  // the 17 shared latency buckets and +Inf
        << language;
    EXPECT_EQ(
        CounterValue(registry, "flowgrid_worker_job_cpu_seconds_total", {{"language", language}}),
        0);
  }
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "busy"}}), 0);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "free"}}), 3);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_connected"), 0);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_draining"), 0);
  EXPECT_EQ(CounterValue(registry, "flowgrid_worker_reconnects_total"), 0);
}

TEST(WorkerMetricsTest, SandboxSetupAndStreamStateAreRecorded) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, 1);
  metrics.SandboxSetUp(v1::Job::RENDER_TEMPLATE, v1::CodeNode::LANGUAGE_UNSPECIFIED,
                       absl::Milliseconds(3));
  const prometheus::ClientMetric::Histogram setup =
      Observed(registry, "flowgrid_worker_sandbox_setup_seconds", {{"language", "python3"}});
  EXPECT_EQ(setup.sample_count, 1u);
  EXPECT_DOUBLE_EQ(setup.sample_sum, 0.003);

  metrics.SetConnected(true);
  metrics.SetDraining(true);
  metrics.ReconnectAttempted();
  metrics.ReconnectAttempted();
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_connected"), 1);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_draining"), 1);
  EXPECT_EQ(CounterValue(registry, "flowgrid_worker_reconnects_total"), 2);
  metrics.SetConnected(false);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_connected"), 0);
}

// Jobs run until released; the slot gauges follow the slots running one.
TEST(WorkerMetricsTest, SlotGaugesFollowTheSlotsRunningAJob) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, 3);
  absl::Mutex mu;
  int running = 0;
  bool released = false;
  int done = 0;
  {
    agent::SlotPool pool(
        3,
        [&](const v1::Job&, int) {
          absl::MutexLock lock(&mu);
          ++running;
          mu.Await(absl::Condition(&released));
          return Succeeded(0, 0, 0);
        },
        [&](agent::FinishedJob) {
          absl::MutexLock lock(&mu);
          ++done;
        },
        &metrics);
    for (const char* id : {"a", "b"}) {
      v1::Job job;
      job.set_job_id(id);
      pool.Submit(job, 1);
    }
    {
      absl::MutexLock lock(&mu);
      auto both = [&] { return running == 2; };
      ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&both), absl::Seconds(10)));
    }
    EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "busy"}}), 2);
    EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "free"}}), 1);
    {
      absl::MutexLock lock(&mu);
      released = true;
    }
    ASSERT_TRUE(pool.WaitIdle(absl::Seconds(10)));
  }
  EXPECT_EQ(done, 2);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "busy"}}), 0);
  EXPECT_EQ(GaugeValue(registry, "flowgrid_worker_slots", {{"state", "free"}}), 3);
}

}  // namespace
}  // namespace flowgrid::metrics
