#include "common/metrics/metrics_endpoint.h"

#include <exception>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/listen_address.h"
#include "common/metrics/process_metrics.h"
#include "prometheus/exposer.h"
#include "prometheus/gauge.h"

namespace flowgrid {

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(
    absl::string_view addr, absl::string_view component) {
  absl::StatusOr<std::string> host = ListenAddressHost(addr, "metrics address");
  if (!host.ok()) return host.status();
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  endpoint->registry_ = std::make_shared<prometheus::Registry>();
  prometheus::BuildGauge()
      .Name("flowgrid_build_info")
      .Help("Always 1; the labels say which flowgrid build this process runs.")
      .Register(*endpoint->registry_)
      .Add({{"component", std::string(component)}, {"version", FLOWGRID_VERSION}})
      .Set(1);
  endpoint->process_metrics_ = std::make_shared<ProcessMetrics>();
  try {
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(std::string(addr));
  } catch (const std::exception& e) {
    // civetweb throws when it cannot listen; a daemon reports it instead.
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", addr, ": ", e.what()));
  }
  std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", addr, ": no port"));
  }
  endpoint->bound_address_ = absl::StrCat(*host, ":", ports.front());
  endpoint->exposer_->RegisterCollectable(endpoint->registry_);
  endpoint->exposer_->RegisterCollectable(endpoint->process_metrics_);
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() = default;

void MetricsEndpoint::RegisterCollectable(
    const std::weak_ptr<prometheus::Collectable>& collectable) {
  exposer_->RegisterCollectable(collectable);
}

}  // namespace flowgrid
