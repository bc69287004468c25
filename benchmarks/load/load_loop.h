// The load loop: `concurrency` threads each starting runs one after the
// other until the plan is exhausted. What a "run" is comes in as a
// function, so the loop is tested without a server and main() plugs in
// the SDK.
//
// Latency is measured around each call of the function, from the moment it
// starts. With a rate limit, runs start on a fixed schedule (run i at
// start + i / rate); when every thread is busy a run starts late and its
// latency does not include the lateness (as in ghz) — raise --concurrency
// when the report's "late starts" is not zero.
#ifndef FLOWGRID_BENCHMARKS_LOAD_LOAD_LOOP_H_
#define FLOWGRID_BENCHMARKS_LOAD_LOAD_LOOP_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "flowgrid/v1/workflow.pb.h"

namespace flowgrid::bench {

// How a run ended: its final status and, when it did not succeed, what its
// error said (for the report; empty otherwise).
struct RunEnd {
  v1::RunStatus status = v1::RUN_STATUS_UNSPECIFIED;
  std::string failure;
};

// One run, from submission to its final status; an error when it did not
// reach one (the call failed or timed out).
using RunOnce = std::function<absl::StatusOr<RunEnd>()>;

struct LoadPlan {
  // Stop after this many runs started (nullopt: no count limit).
  std::optional<int64_t> total;
  // Start no run after this much time has passed since the loop started.
  // Always finite: the caller passes its hard cap when there is no
  // --duration. Runs in flight at the end are awaited and counted.
  absl::Duration duration;
  int concurrency = 1;
  double rate = 0;  // runs started per second; 0 = as fast as possible
};

struct RunSample {
  absl::Duration latency;
  absl::StatusOr<RunEnd> outcome;
};

struct LoadResult {
  std::vector<RunSample> samples;  // in no particular order
  // From the start of the loop until the last run finished.
  absl::Duration elapsed;
  // Runs that started more than a millisecond after their scheduled time
  // (only with a rate limit).
  int64_t late_starts = 0;
  // True when `duration` ended the loop before `total` runs had started.
  bool cut_by_duration = false;
};

// When run `index` is due under `rate` (runs/s) for a loop started at
// `start`; `start` itself when rate is 0.
absl::Time ScheduledStart(absl::Time start, int64_t index, double rate);

LoadResult RunLoad(const LoadPlan& plan, const RunOnce& run_once);

}  // namespace flowgrid::bench

#endif  // FLOWGRID_BENCHMARKS_LOAD_LOAD_LOOP_H_
