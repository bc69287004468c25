// The console's JSON API over the scheduler's client API: each request
// becomes one call of WorkflowService / ClusterService through the stubs
// it is given (in the scheduler, an in-process channel to its own client
// server), so the console sees exactly what clients see. The event stream
// (Endpoint::kRunEvents) is event_stream.h's.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_JSON_GATEWAY_H_
#define FLOWGRID_SCHEDULER_CONSOLE_JSON_GATEWAY_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "flowgrid/v1/cluster.grpc.pb.h"
#include "flowgrid/v1/scheduler.grpc.pb.h"
#include "scheduler/console/http_message.h"
#include "scheduler/console/routes.h"

namespace flowgrid::console {

// The ListRuns request of a runs list query: page_size, page_token,
// status (a RunStatus name: RUN_FAILED; RUN_STATUS_FAILED is taken too),
// workflow (exact name), created_after and created_before (RFC 3339).
// InvalidArgument naming a malformed value or an unknown parameter.
absl::StatusOr<v1::ListRunsRequest> ListRunsRequestFromQuery(absl::string_view query);

class JsonGateway {
 public:
  // The stubs (not owned) outlive the gateway. Each call gets `deadline`.
  JsonGateway(v1::WorkflowService::StubInterface* workflows,
              v1::ClusterService::StubInterface* cluster,
              absl::Duration deadline = absl::Seconds(30))
      : workflows_(workflows), cluster_(cluster), deadline_(deadline) {}

  // The response to `route` (any endpoint but kRunEvents) with the
  // request's `query`: the call's result as JSON (rerun: {"run_id": ..,
  // "existing": ..}), or its error (json_mapping.h).
  HttpResponse Handle(const ApiRoute& route, absl::string_view query) const;

 private:
  v1::WorkflowService::StubInterface* const workflows_;
  v1::ClusterService::StubInterface* const cluster_;
  const absl::Duration deadline_;
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_JSON_GATEWAY_H_
