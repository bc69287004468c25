#include "benchmarks/load/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace flowgrid::bench {
namespace {

using ::testing::HasSubstr;

BenchOptions Options() {
  BenchOptions options;
  options.address = "127.0.0.1:7070";
  options.workflow_path = "w.json";
  options.total = 6;
  options.concurrency = 2;
  return options;
}

RunSample Finished(int ms, v1::RunStatus status, std::string failure = "") {
  return {absl::Milliseconds(ms), RunEnd{status, std::move(failure)}};
}

RunSample Error(int ms, absl::Status status) { return {absl::Milliseconds(ms), status}; }

LoadResult Mixed() {
  LoadResult result;
  result.elapsed = absl::Seconds(2);
  result.samples = {Finished(1, v1::RUN_SUCCEEDED), Finished(2, v1::RUN_SUCCEEDED),
                    Finished(3, v1::RUN_SUCCEEDED),
                    Finished(4, v1::RUN_FAILED, "node code: RUNTIME_ERROR: boom"),
                    Error(500, absl::DeadlineExceededError("first")),
                    Error(600, absl::DeadlineExceededError("second"))};
  return result;
}

TEST(BuildReport, TalliesStatusesErrorsAndLatencies) {
  Report report = BuildReport(Options(), Mixed());
  EXPECT_EQ(report.finished, 4);
  EXPECT_EQ(report.errors, 2);
  EXPECT_DOUBLE_EQ(report.runs_per_second, 2.0);
  EXPECT_EQ(report.status_counts, (std::map<std::string, int64_t>{{"RUN_FAILED", 1},
                                                                  {"RUN_SUCCEEDED", 3}}));
  EXPECT_EQ(report.error_counts, (std::map<std::string, int64_t>{{"DEADLINE_EXCEEDED", 2}}));
  EXPECT_EQ(report.first_messages.at("DEADLINE_EXCEEDED"), "first");
  EXPECT_EQ(report.first_messages.at("RUN_FAILED"), "node code: RUNTIME_ERROR: boom");
  EXPECT_FALSE(report.first_messages.contains("RUN_SUCCEEDED"));
  // Failed calls are not in the latencies.
  EXPECT_EQ(report.latency.count, 4);
  EXPECT_EQ(report.latency.max, absl::Milliseconds(4));
  int64_t in_histogram = 0;
  for (const HistogramBucket& bucket : report.histogram) in_histogram += bucket.count;
  EXPECT_EQ(in_histogram, 4);
  EXPECT_FALSE(report.AllSucceeded());
}

TEST(BuildReport, AllSucceededNeedsRunsAndOnlySuccesses) {
  LoadResult good;
  good.elapsed = absl::Seconds(1);
  good.samples = {Finished(1, v1::RUN_SUCCEEDED), Finished(2, v1::RUN_SUCCEEDED)};
  EXPECT_TRUE(BuildReport(Options(), good).AllSucceeded());
  good.samples.push_back(Finished(1, v1::RUN_PARTIAL_SUCCEEDED));
  EXPECT_FALSE(BuildReport(Options(), good).AllSucceeded());
  LoadResult empty;
  EXPECT_FALSE(BuildReport(Options(), empty).AllSucceeded());
  EXPECT_EQ(BuildReport(Options(), empty).runs_per_second, 0);
}

TEST(FormatJson, CarriesTheReport) {
  Report report = BuildReport(Options(), Mixed());
  nlohmann::json json = nlohmann::json::parse(FormatJson(report));
  EXPECT_EQ(json["target"], "127.0.0.1:7070");
  EXPECT_EQ(json["total"], 6);
  EXPECT_FALSE(json.contains("duration_s"));
  EXPECT_EQ(json["concurrency"], 2);
  EXPECT_EQ(json["finished"], 4);
  EXPECT_EQ(json["errors"], 2);
  EXPECT_DOUBLE_EQ(json["runs_per_second"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(json["latency_ms"]["max"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(json["latency_ms"]["p50"].get<double>(), 2.0);
  EXPECT_EQ(json["status_counts"]["RUN_SUCCEEDED"], 3);
  EXPECT_EQ(json["error_counts"]["DEADLINE_EXCEEDED"], 2);
  EXPECT_EQ(json["all_succeeded"], false);
  int64_t in_histogram = 0;
  for (const auto& bucket : json["histogram"]) in_histogram += bucket["count"].get<int64_t>();
  EXPECT_EQ(in_histogram, 4);
}

TEST(FormatText, ShowsEverySection) {
  Report report = BuildReport(Options(), Mixed());
  std::string text = FormatText(report);
  EXPECT_THAT(text, HasSubstr("Runs/s:    2.0"));
  EXPECT_THAT(text, HasSubstr("6 runs, concurrency 2, rate unlimited, warmup 0"));
  EXPECT_THAT(text, HasSubstr("p99"));
  EXPECT_THAT(text, HasSubstr("4.000 ms"));
  EXPECT_THAT(text, HasSubstr("Histogram"));
  EXPECT_THAT(text, HasSubstr("RUN_FAILED"));
  EXPECT_THAT(text, HasSubstr("DEADLINE_EXCEEDED"));
  EXPECT_THAT(text, HasSubstr("RUNTIME_ERROR: boom"));
}

TEST(FormatText, SaysWhenTheRateWasNotKeptOrTheCapCut) {
  LoadResult result = Mixed();
  result.late_starts = 3;
  result.cut_by_duration = true;
  std::string text = FormatText(BuildReport(Options(), result));
  EXPECT_THAT(text, HasSubstr("Late starts: 3"));
  EXPECT_THAT(text, HasSubstr("Cut short"));
}

}  // namespace
}  // namespace flowgrid::bench
