// The standard Prometheus process metrics of the calling process, read from
// /proc/self when scraped:
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_open_fds, process_start_time_seconds.
// A value that cannot be read is left out of that scrape (never an error).
#ifndef FLOWGRID_COMMON_METRICS_PROCESS_METRICS_H_
#define FLOWGRID_COMMON_METRICS_PROCESS_METRICS_H_

#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace flowgrid {

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_METRICS_PROCESS_METRICS_H_
