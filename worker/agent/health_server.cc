#include "worker/agent/health_server.h"

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace flowgrid::agent {

absl::StatusOr<std::unique_ptr<HealthServer>> HealthServer::Start(const std::string& addr) {
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("health address \"", addr, "\" is not HOST:PORT"));
  }
  grpc::EnableDefaultHealthCheckService(true);
  std::unique_ptr<HealthServer> health(new HealthServer());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(addr, grpc::InsecureServerCredentials(), &port);
  // gRPC sets SO_REUSEPORT by default: a second worker given the same
  // address would share the port (and answer for the first) instead of
  // failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterCallbackGenericService(&health->unknown_methods_);
  health->server_ = builder.BuildAndStart();
  if (health->server_ == nullptr || port == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot listen on health address \"", addr,
                     "\" (HOST:PORT of a local interface, port free or 0)"));
  }
  // The default service starts with "" SERVING; the worker is not until
  // its agent says so.
  health->server_->GetHealthCheckService()->SetServingStatus("", false);
  health->bound_address_ = absl::StrCat(addr.substr(0, colon), ":", port);
  return health;
}

HealthServer::~HealthServer() {
  if (server_ != nullptr) server_->Shutdown();
}

void HealthServer::Report(const AgentState& state) {
  server_->GetHealthCheckService()->SetServingStatus("", state.connected && !state.draining);
}

}  // namespace flowgrid::agent
