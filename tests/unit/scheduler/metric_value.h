// Reads one series back from a prometheus Collectable (a Registry, or a
// scrape-time collector) in tests, without HTTP.
#ifndef FLOWGRID_TESTS_UNIT_SCHEDULER_METRIC_VALUE_H_
#define FLOWGRID_TESTS_UNIT_SCHEDULER_METRIC_VALUE_H_

#include <map>
#include <string>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace flowgrid::testing {

// What a series of `source` holds: a counter's or gauge's value, a
// histogram's sample count (`sum`: its sample sum instead). The series is
// the one named `name` whose labels are exactly `labels`; -1 when there is
// none.
inline double MetricValue(const prometheus::Collectable& source, const std::string& name,
                          const std::map<std::string, std::string>& labels = {},
                          bool sum = false) {
  for (const prometheus::MetricFamily& family : source.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> have;
      for (const auto& label : metric.label) have[label.name] = label.value;
      if (have != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return sum ? metric.histogram.sample_sum
                     : static_cast<double>(metric.histogram.sample_count);
        default:
          return -1;
      }
    }
  }
  return -1;
}

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_SCHEDULER_METRIC_VALUE_H_
