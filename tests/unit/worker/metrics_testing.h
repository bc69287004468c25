// Reading recorded metrics back in the worker's tests: a test records into
// a prometheus::Registry of its own and looks values up by family name and
// labels through Collect(), as a scrape would see them.
#ifndef FLOWGRID_TESTS_UNIT_WORKER_METRICS_TESTING_H_
#define FLOWGRID_TESTS_UNIT_WORKER_METRICS_TESTING_H_

#include <map>
#include <optional>
#include <string>

#include "prometheus/client_metric.h"
#include "prometheus/registry.h"

namespace flowgrid::metrics {

// The sample of family `name` whose labels are exactly `labels`; nullopt
// when there is none.
inline std::optional<prometheus::ClientMetric> Sample(
    const prometheus::Registry& registry, const std::string& name,
    const std::map<std::string, std::string>& labels = {}) {
  for (const prometheus::MetricFamily& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const prometheus::ClientMetric& metric : family.metric) {
      std::map<std::string, std::string> found;
      for (const prometheus::ClientMetric::Label& label : metric.label) {
        found[label.name] = label.value;
      }
      if (found == labels) return metric;
    }
  }
  return std::nullopt;
}

// A counter's value (-1 when the sample is absent).
inline double CounterValue(const prometheus::Registry& registry, const std::string& name,
                           const std::map<std::string, std::string>& labels = {}) {
  const std::optional<prometheus::ClientMetric> sample = Sample(registry, name, labels);
  return sample.has_value() ? sample->counter.value : -1;
}

// A gauge's value (-1 when the sample is absent).
inline double GaugeValue(const prometheus::Registry& registry, const std::string& name,
                         const std::map<std::string, std::string>& labels = {}) {
  const std::optional<prometheus::ClientMetric> sample = Sample(registry, name, labels);
  return sample.has_value() ? sample->gauge.value : -1;
}

// A histogram's observations (absent: an empty one).
inline prometheus::ClientMetric::Histogram Observed(
    const prometheus::Registry& registry, const std::string& name,
    const std::map<std::string, std::string>& labels) {
  const std::optional<prometheus::ClientMetric> sample = Sample(registry, name, labels);
  return sample.has_value() ? sample->histogram : prometheus::ClientMetric::Histogram{};
}

}  // namespace flowgrid::metrics

#endif  // FLOWGRID_TESTS_UNIT_WORKER_METRICS_TESTING_H_
