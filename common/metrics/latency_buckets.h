// Histogram bucket boundaries shared by every flowgrid latency histogram,
// so that dashboards and recording rules can compare them.
#ifndef FLOWGRID_COMMON_METRICS_LATENCY_BUCKETS_H_
#define FLOWGRID_COMMON_METRICS_LATENCY_BUCKETS_H_

#include <vector>

namespace flowgrid {

// Seconds: 0.0005, 0.001, 0.0025, ... 60, 120 (sub-millisecond dispatches up
// to the longest node timeouts).
const std::vector<double>& LatencyBuckets();

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_METRICS_LATENCY_BUCKETS_H_
