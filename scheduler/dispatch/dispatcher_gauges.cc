#include "scheduler/dispatch/dispatcher_gauges.h"

#include <string>
#include <utility>

#include "common/metrics/labels.h"

namespace flowgrid::dispatch {
namespace {

prometheus::ClientMetric GaugeValue(double value, std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric metric;
  metric.label = std::move(labels);
  metric.gauge.value = value;
  return metric;
}

prometheus::MetricFamily Gauge(const char* name, const char* help,
                               std::vector<prometheus::ClientMetric> values) {
  return {name, help, prometheus::MetricType::Gauge, std::move(values)};
}

}  // namespace

std::vector<prometheus::MetricFamily> DispatcherGauges::Collect() const {
  const Dispatcher::Stats stats = dispatcher_->stats();
  std::vector<prometheus::ClientMetric> depth;
  for (v1::CodeNode::Language language : {v1::CodeNode::PYTHON3, v1::CodeNode::JAVASCRIPT}) {
    auto queued = stats.queued_by_runtime.find(language);
    depth.push_back(GaugeValue(queued == stats.queued_by_runtime.end() ? 0 : queued->second,
                               {{"language", metrics::LanguageLabel(language)}}));
  }
  std::vector<prometheus::MetricFamily> families;
  families.push_back(
      Gauge("flowgrid_queue_depth", "Jobs waiting for a worker slot.", std::move(depth)));
  families.push_back(Gauge("flowgrid_queue_oldest_age_seconds",
                           "Age of the oldest waiting job (0 when none waits).",
                           {GaugeValue(absl::ToDoubleSeconds(stats.oldest_wait))}));
  families.push_back(
      Gauge("flowgrid_workers_connected", "Worker streams open.", {GaugeValue(stats.workers)}));
  families.push_back(Gauge("flowgrid_workers_draining", "Connected workers that are draining.",
                           {GaugeValue(stats.draining_workers)}));
  families.push_back(Gauge("flowgrid_slots",
                           "Job slots over all connected workers: busy (holding a job) or free "
                           "(of workers that are not draining).",
                           {GaugeValue(stats.running, {{"state", "busy"}}),
                            GaugeValue(stats.free_slots, {{"state", "free"}})}));
  return families;
}

}  // namespace flowgrid::dispatch
