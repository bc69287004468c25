#include "scheduler/metrics/scheduler_metrics.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "tests/unit/scheduler/metric_value.h"

namespace flowgrid::metrics {
namespace {

using flowgrid::testing::MetricValue;

// The label values of `label` over the series of `name`, each series at 0.
std::set<std::string> ZeroSeriesLabels(const prometheus::Registry& registry,
                                       const std::string& name, const std::string& label) {
  std::set<std::string> values;
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      EXPECT_EQ(metric.counter.value, 0) << name;
      for (const auto& l : metric.label) {
        if (l.name == label) values.insert(l.value);
      }
    }
  }
  return values;
}

TEST(SchedulerMetrics, SeriesWithKnownLabelsStartAtZeroWithTheCataloguesValues) {
  prometheus::Registry registry;
  SchedulerMetrics metrics(registry);
  EXPECT_THAT(ZeroSeriesLabels(registry, "flowgrid_jobs_finished_total", "verdict"),
              ::testing::UnorderedElementsAre(
                  "ok", "timeout", "cpu_limit", "memory_limit", "process_limit", "output_limit",
                  "result_too_large", "invalid_result", "runtime_error", "sandbox_violation",
                  "worker_lost", "invalid_input", "cancelled", "internal", "compile_error",
                  "queue_timeout"));
  EXPECT_THAT(ZeroSeriesLabels(registry, "flowgrid_jobs_finished_total", "language"),
              ::testing::UnorderedElementsAre("python3", "javascript"));
  EXPECT_THAT(ZeroSeriesLabels(registry, "flowgrid_runs_finished_total", "status"),
              ::testing::UnorderedElementsAre("succeeded", "partial_succeeded", "failed",
                                              "cancelled"));
  EXPECT_THAT(ZeroSeriesLabels(registry, "flowgrid_submissions_rejected_total", "reason"),
              ::testing::UnorderedElementsAre("overloaded", "invalid", "too_large",
                                              "rate_limited"));
  EXPECT_EQ(MetricValue(registry, "flowgrid_runs_submitted_total"), 0);
  EXPECT_EQ(MetricValue(registry, "flowgrid_watch_streams"), 0);
}

TEST(SchedulerMetrics, AFailureWithoutAValidCodeIsInternal) {
  prometheus::Registry registry;
  SchedulerMetrics metrics(registry);
  v1::NodeResult failed;
  failed.set_status(v1::NODE_FAILED);
  metrics.JobFinished(v1::CodeNode::JAVASCRIPT, failed, absl::Seconds(1));
  failed.mutable_error()->set_code(static_cast<v1::ErrorCode>(999));
  metrics.JobFinished(v1::CodeNode::JAVASCRIPT, failed, absl::Seconds(1));
  EXPECT_EQ(MetricValue(registry, "flowgrid_jobs_finished_total",
                        {{"language", "javascript"}, {"verdict", "internal"}}),
            2);
}

TEST(SchedulerMetrics, WatchStreamsGoUpAndDown) {
  prometheus::Registry registry;
  SchedulerMetrics metrics(registry);
  metrics.WatchStreamOpened();
  metrics.WatchStreamOpened();
  metrics.WatchStreamClosed();
  EXPECT_EQ(MetricValue(registry, "flowgrid_watch_streams"), 1);
}

}  // namespace
}  // namespace flowgrid::metrics
