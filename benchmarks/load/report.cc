#include "benchmarks/load/report.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace flowgrid::bench {
namespace {

constexpr char kSucceeded[] = "RUN_SUCCEEDED";
constexpr int kHistogramBarWidth = 40;

double Ms(absl::Duration duration) { return absl::ToDoubleMilliseconds(duration); }

std::string FormatMs(absl::Duration duration) { return absl::StrFormat("%.3f ms", Ms(duration)); }

std::string DescribeLoad(const BenchOptions& options) {
  std::string load = options.total.has_value()
                         ? absl::StrCat(*options.total, " runs")
                         : absl::StrCat("for ", absl::FormatDuration(*options.duration));
  absl::StrAppend(&load, ", concurrency ", options.concurrency, ", rate ",
                  options.rate > 0 ? absl::StrCat(options.rate, " runs/s") : "unlimited",
                  ", warmup ", options.warmup);
  return load;
}

}  // namespace

bool Report::AllSucceeded() const {
  return finished > 0 && errors == 0 && status_counts.size() == 1 &&
         status_counts.contains(kSucceeded);
}

Report BuildReport(const BenchOptions& options, const LoadResult& result) {
  Report report;
  report.options = options;
  report.elapsed = result.elapsed;
  report.late_starts = result.late_starts;
  report.cut_by_duration = result.cut_by_duration;
  std::vector<absl::Duration> latencies;
  for (const RunSample& sample : result.samples) {
    if (!sample.outcome.ok()) {
      std::string code = absl::StatusCodeToString(sample.outcome.status().code());
      ++report.error_counts[code];
      report.first_messages.emplace(code, std::string(sample.outcome.status().message()));
      continue;
    }
    ++report.finished;
    latencies.push_back(sample.latency);
    std::string status = v1::RunStatus_Name(sample.outcome->status);
    ++report.status_counts[status];
    if (status != kSucceeded) report.first_messages.emplace(status, sample.outcome->failure);
  }
  report.errors = static_cast<int64_t>(result.samples.size()) - report.finished;
  if (result.elapsed > absl::ZeroDuration()) {
    report.runs_per_second =
        static_cast<double>(report.finished) / absl::ToDoubleSeconds(result.elapsed);
  }
  report.histogram = Histogram(latencies, kHistogramBuckets);
  report.latency = Summarize(std::move(latencies));
  return report;
}

std::string FormatText(const Report& report) {
  const BenchOptions& options = report.options;
  std::string out = "Summary:\n";
  absl::StrAppend(&out, "  Target:    ", options.address, "\n");
  absl::StrAppend(&out, "  Workflow:  ", options.workflow_path, "\n");
  absl::StrAppend(&out, "  Load:      ", DescribeLoad(options), "\n");
  absl::StrAppend(&out, "  Elapsed:   ", absl::StrFormat("%.3f s", absl::ToDoubleSeconds(report.elapsed)),
                  "\n");
  absl::StrAppend(&out, "  Runs:      ", report.finished, " reached a final status, ",
                  report.errors, " failed calls\n");
  absl::StrAppend(&out, "  Runs/s:    ", absl::StrFormat("%.1f", report.runs_per_second), "\n");
  if (report.late_starts > 0) {
    absl::StrAppend(&out, "  Late starts: ", report.late_starts,
                    " (the rate was not kept up: raise --concurrency)\n");
  }
  if (report.cut_by_duration) {
    absl::StrAppend(&out, "  Cut short: the hard cap of ", absl::FormatDuration(kMaxDuration),
                    " ended the load before --total runs had started\n");
  }

  const LatencySummary& latency = report.latency;
  absl::StrAppend(&out, "\nLatency (runs that reached a final status):\n");
  if (latency.count == 0) {
    absl::StrAppend(&out, "  none\n");
  } else {
    for (const auto& [name, value] :
         std::vector<std::pair<const char*, absl::Duration>>{{"min", latency.min},
                                                             {"mean", latency.mean},
                                                             {"p50", latency.p50},
                                                             {"p90", latency.p90},
                                                             {"p95", latency.p95},
                                                             {"p99", latency.p99},
                                                             {"max", latency.max}}) {
      absl::StrAppend(&out, absl::StrFormat("  %-5s %12s\n", name, FormatMs(value)));
    }
    absl::StrAppend(&out, "\nHistogram (upper bound, count):\n");
    int64_t most = 0;
    for (const HistogramBucket& bucket : report.histogram) most = std::max(most, bucket.count);
    for (const HistogramBucket& bucket : report.histogram) {
      const int64_t bar = most == 0 ? 0 : bucket.count * kHistogramBarWidth / most;
      absl::StrAppend(&out, absl::StrFormat("  %12s [%lld]\t|%s\n", FormatMs(bucket.upper),
                                            static_cast<long long>(bucket.count),
                                            std::string(static_cast<size_t>(bar), '#')));
    }
  }

  absl::StrAppend(&out, "\nFinal run status:\n");
  if (report.status_counts.empty()) absl::StrAppend(&out, "  none\n");
  for (const auto& [status, count] : report.status_counts) {
    absl::StrAppend(&out, absl::StrFormat("  %-22s %lld\n", status, static_cast<long long>(count)));
  }
  if (!report.error_counts.empty()) {
    absl::StrAppend(&out, "\nFailed calls (gRPC status code):\n");
    for (const auto& [code, count] : report.error_counts) {
      absl::StrAppend(&out, absl::StrFormat("  %-22s %lld\n", code, static_cast<long long>(count)));
    }
  }
  if (!report.first_messages.empty()) {
    absl::StrAppend(&out, "\nFirst message per failure kind:\n");
    for (const auto& [kind, message] : report.first_messages) {
      absl::StrAppend(&out, "  ", kind, ": ", message, "\n");
    }
  }
  return out;
}

std::string FormatJson(const Report& report) {
  const BenchOptions& options = report.options;
  const LatencySummary& latency = report.latency;
  nlohmann::json json = {
      {"target", options.address},
      {"workflow", options.workflow_path},
      {"concurrency", options.concurrency},
      {"rate", options.rate},
      {"warmup", options.warmup},
      {"elapsed_s", absl::ToDoubleSeconds(report.elapsed)},
      {"finished", report.finished},
      {"errors", report.errors},
      {"runs_per_second", report.runs_per_second},
      {"latency_ms",
       {{"count", latency.count},
        {"min", Ms(latency.min)},
        {"mean", Ms(latency.mean)},
        {"p50", Ms(latency.p50)},
        {"p90", Ms(latency.p90)},
        {"p95", Ms(latency.p95)},
        {"p99", Ms(latency.p99)},
        {"max", Ms(latency.max)}}},
      {"status_counts", report.status_counts},
      {"error_counts", report.error_counts},
      {"first_messages", report.first_messages},
      {"late_starts", report.late_starts},
      {"cut_by_duration", report.cut_by_duration},
      {"all_succeeded", report.AllSucceeded()},
  };
  if (options.total.has_value()) json["total"] = *options.total;
  if (options.duration.has_value()) json["duration_s"] = absl::ToDoubleSeconds(*options.duration);
  nlohmann::json histogram = nlohmann::json::array();
  for (const HistogramBucket& bucket : report.histogram) {
    histogram.push_back({{"upper_ms", Ms(bucket.upper)}, {"count", bucket.count}});
  }
  json["histogram"] = std::move(histogram);
  return json.dump(2) + "\n";
}

}  // namespace flowgrid::bench
