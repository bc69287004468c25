#include "common/metrics/latency_buckets.h"

namespace flowgrid {

const std::vector<double>& LatencyBuckets() {
  static const auto* const kBuckets = new std::vector<double>{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
      0.5,    1,     2.5,    5,     10,   30,    60,   120};
  return *kBuckets;
}

}  // namespace flowgrid
