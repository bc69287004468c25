// flowgrid-bench's report: the tallies of a load run (BuildReport) and its
// two renderings, a text page for people and JSON for scripts
// (benchmarks/run.sh reads the JSON).
//
// Latency percentiles and the histogram cover the runs that reached a final
// status, whatever it was; runs whose call failed are counted by error code
// only. Runs/s counts every run that reached a final status over the
// elapsed time of the measured phase.
#ifndef FLOWGRID_BENCHMARKS_LOAD_REPORT_H_
#define FLOWGRID_BENCHMARKS_LOAD_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "benchmarks/load/load_loop.h"
#include "benchmarks/load/options.h"
#include "benchmarks/load/stats.h"

namespace flowgrid::bench {

inline constexpr int kHistogramBuckets = 10;

struct Report {
  BenchOptions options;
  absl::Duration elapsed;
  int64_t finished = 0;  // runs that reached a final status
  int64_t errors = 0;    // runs whose call failed
  double runs_per_second = 0;
  LatencySummary latency;
  std::vector<HistogramBucket> histogram;
  // RunStatus name ("RUN_SUCCEEDED") -> count.
  std::map<std::string, int64_t> status_counts;
  // Status code name ("DEADLINE_EXCEEDED") -> count; the SDK maps gRPC codes
  // to absl codes one for one, so these are the gRPC codes.
  std::map<std::string, int64_t> error_counts;
  // The first message seen per non-succeeded status or error code, so a
  // failing benchmark says why.
  std::map<std::string, std::string> first_messages;
  int64_t late_starts = 0;
  bool cut_by_duration = false;

  // At least one run, and every run ended RUN_SUCCEEDED.
  bool AllSucceeded() const;
};

Report BuildReport(const BenchOptions& options, const LoadResult& result);

std::string FormatText(const Report& report);

// One JSON object; durations in milliseconds as numbers ("p50_ms").
std::string FormatJson(const Report& report);

}  // namespace flowgrid::bench

#endif  // FLOWGRID_BENCHMARKS_LOAD_REPORT_H_
