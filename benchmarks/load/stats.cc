#include "benchmarks/load/stats.h"

#include <algorithm>
#include <cmath>

namespace flowgrid::bench {

absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double q) {
  if (sorted.empty()) return absl::ZeroDuration();
  // Rank ceil(q/100 * n), 1-based, clamped to [1, n].
  double rank = std::ceil(q / 100.0 * static_cast<double>(sorted.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<absl::Duration> latencies) {
  LatencySummary summary;
  if (latencies.empty()) return summary;
  std::sort(latencies.begin(), latencies.end());
  summary.count = static_cast<int64_t>(latencies.size());
  absl::Duration sum;
  for (absl::Duration latency : latencies) sum += latency;
  summary.min = latencies.front();
  summary.max = latencies.back();
  summary.mean = sum / summary.count;
  summary.p50 = Percentile(latencies, 50);
  summary.p90 = Percentile(latencies, 90);
  summary.p95 = Percentile(latencies, 95);
  summary.p99 = Percentile(latencies, 99);
  return summary;
}

std::vector<HistogramBucket> Histogram(std::vector<absl::Duration> latencies, int buckets) {
  std::vector<HistogramBucket> histogram;
  if (latencies.empty() || buckets < 1) return histogram;
  std::sort(latencies.begin(), latencies.end());
  const absl::Duration fastest = latencies.front();
  const absl::Duration slowest = latencies.back();
  if (fastest == slowest) buckets = 1;
  // Geometric bounds need a positive start; a zero latency only occurs with
  // a fake clock, and one nanosecond is below any real measurement.
  const double low = std::max<double>(absl::ToDoubleNanoseconds(fastest), 1.0);
  const double high = std::max(absl::ToDoubleNanoseconds(slowest), low);
  const double ratio = std::pow(high / low, 1.0 / buckets);
  for (int i = 1; i <= buckets; ++i) {
    absl::Duration upper = i == buckets ? slowest
                                        : absl::Nanoseconds(std::llround(low * std::pow(ratio, i)));
    histogram.push_back({upper, 0});
  }
  size_t bucket = 0;
  for (absl::Duration latency : latencies) {
    while (latency > histogram[bucket].upper) ++bucket;
    ++histogram[bucket].count;
  }
  return histogram;
}

}  // namespace flowgrid::bench
