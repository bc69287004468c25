// The console's HTTP server (--console_addr): civetweb threads answering
// with the Router (router.h) — the JSON API, the event streams and the
// front-end's files — over the scheduler's own client API.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_CONSOLE_SERVER_H_
#define FLOWGRID_SCHEDULER_CONSOLE_CONSOLE_SERVER_H_

#include <filesystem>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "flowgrid/v1/cluster.grpc.pb.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "grpcpp/channel.h"
#include "scheduler/console/api_auth.h"
#include "scheduler/console/event_stream.h"
#include "scheduler/console/json_gateway.h"
#include "scheduler/console/router.h"
#include "scheduler/console/static_assets.h"

struct mg_connection;
struct mg_context;

namespace flowgrid::console {

struct ConsoleOptions {
  // HOST:PORT (port 0: any free port).
  std::string addr;
  std::filesystem::path assets_dir;
  // Empty: the API needs no key (api_auth.h).
  ApiKeyCheck check_api_key;
  EventStreamOptions events;
  // Threads for everything but event streams (each of which holds a
  // thread of its own, up to events.max_streams).
  int request_threads = 8;
};

class ConsoleServer {
 public:
  // Listens on options.addr and serves the console; its API calls go
  // through `channel` (the client server's InProcessChannel). InvalidArgument
  // for a malformed address, Unavailable when it cannot listen, each
  // naming the address.
  static absl::StatusOr<std::unique_ptr<ConsoleServer>> Start(
      ConsoleOptions options, std::shared_ptr<grpc::Channel> channel);

  // Ends the event streams, then stops the HTTP server (waiting for the
  // requests in flight).
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;

  // "HOST:PORT" with the port actually bound.
  const std::string& bound_address() const { return bound_address_; }

 private:
  ConsoleServer(ConsoleOptions options, std::shared_ptr<grpc::Channel> channel);
  static int BeginRequest(mg_connection* connection);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkflowService::Stub> workflows_;
  std::unique_ptr<v1::ClusterService::Stub> cluster_;
  JsonGateway gateway_;
  EventStreams events_;
  StaticAssets assets_;
  Router router_;
  mg_context* context_ = nullptr;
  std::string bound_address_;
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_CONSOLE_SERVER_H_
