// The HTTP endpoint a daemon serves its Prometheus metrics on: GET /metrics
// in the text exposition format, on a port of its own (--metrics_addr).
// Besides the registry the daemon records into, every endpoint exposes
//   flowgrid_build_info{component=..,version=..} 1
// and the process metrics of process_metrics.h.
#ifndef FLOWGRID_COMMON_METRICS_METRICS_ENDPOINT_H_
#define FLOWGRID_COMMON_METRICS_METRICS_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace flowgrid {

class MetricsEndpoint {
 public:
  // Listens on `addr` ("HOST:PORT", port 0 = any free port) and serves
  // /metrics from then on. `component` is the build_info label value
  // ("scheduler" | "worker"). A malformed or unbindable address is an
  // InvalidArgument / Unavailable error naming it.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(absl::string_view addr,
                                                                absl::string_view component);

  // Stops serving (waits for scrapes in progress).
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Where metrics are recorded; everything registered here is served.
  const std::shared_ptr<prometheus::Registry>& registry() const { return registry_; }

  // Also serves what `collectable` returns at each scrape, for values
  // computed when scraped rather than recorded as they change. The caller
  // keeps it alive; once it is gone it is skipped.
  void RegisterCollectable(const std::weak_ptr<prometheus::Collectable>& collectable);

  // "HOST:PORT" with the port actually bound.
  const std::string& bound_address() const { return bound_address_; }

 private:
  MetricsEndpoint() = default;

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<prometheus::Collectable> process_metrics_;
  std::string bound_address_;
  // Last, so that it stops serving before what it serves is destroyed.
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_METRICS_METRICS_ENDPOINT_H_
