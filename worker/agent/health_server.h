// The worker's health endpoint (--health_addr): a gRPC server with only the
// standard grpc.health.v1 service. Service "" is SERVING while the agent is
// connected to the scheduler and not draining, NOT_SERVING otherwise (so a
// Kubernetes readiness probe takes a draining or disconnected worker out,
// and a worker waiting for its scheduler is not ready).
#ifndef FLOWGRID_WORKER_AGENT_HEALTH_SERVER_H_
#define FLOWGRID_WORKER_AGENT_HEALTH_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/generic/async_generic_service.h"
#include "worker/agent/agent.h"

namespace grpc {
class Server;
}

namespace flowgrid::agent {

class HealthServer {
 public:
  // Listens on `addr` ("HOST:PORT", port 0 = any free port), NOT_SERVING
  // until the first Report. An address that cannot be listened on
  // (malformed, not local, or taken: the port is not shared) is
  // InvalidArgument, naming it. Enables gRPC's default health service for
  // the whole process (grpc::EnableDefaultHealthCheckService).
  static absl::StatusOr<std::unique_ptr<HealthServer>> Start(const std::string& addr);
  // Stops serving (health checks then fail to connect).
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // "HOST:PORT" with the port actually bound.
  const std::string& bound_address() const { return bound_address_; }

  // Sets "" from the agent's state (an AgentOptions::on_state_change).
  void Report(const AgentState& state);

 private:
  HealthServer() = default;

  // gRPC's builder refuses a server with no service of its own (the default
  // health service is added only when the server starts): this one answers
  // every other method UNIMPLEMENTED. Declared first: it outlives the server.
  grpc::CallbackGenericService unknown_methods_;
  std::unique_ptr<grpc::Server> server_;
  std::string bound_address_;
};

}  // namespace flowgrid::agent

#endif  // FLOWGRID_WORKER_AGENT_HEALTH_SERVER_H_
