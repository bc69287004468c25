// Latency statistics of a load run: percentiles and a histogram over the
// exact samples (a bounded run keeps every latency, so nothing is
// approximated).
#ifndef FLOWGRID_BENCHMARKS_LOAD_STATS_H_
#define FLOWGRID_BENCHMARKS_LOAD_STATS_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace flowgrid::bench {

struct LatencySummary {
  int64_t count = 0;
  // All zero when count == 0.
  absl::Duration min, mean, p50, p90, p95, p99, max;
};

// Nearest-rank percentile of ascending `sorted` (q in (0, 100]): the
// smallest sample such that at least q % of the samples are <= it.
// Zero for an empty vector.
absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double q);

LatencySummary Summarize(std::vector<absl::Duration> latencies);

// A bucket holds the samples in (previous bucket's upper, upper]; the first
// bucket also holds its lower bound, the fastest sample.
struct HistogramBucket {
  absl::Duration upper;
  int64_t count = 0;
};

// `buckets` buckets whose bounds grow geometrically from the fastest to the
// slowest sample, so a long tail does not squeeze every typical run into the
// first bucket. Every sample lands in exactly one bucket; the last upper
// bound is the slowest sample. Empty for no samples; one bucket when all
// samples are equal.
std::vector<HistogramBucket> Histogram(std::vector<absl::Duration> latencies, int buckets);

}  // namespace flowgrid::bench

#endif  // FLOWGRID_BENCHMARKS_LOAD_STATS_H_
