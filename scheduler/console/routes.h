// The console's JSON API paths (docs/ARCHITECTURE.md, "Console"):
//   GET  /api/v1/runs                  list runs (query: filters, paging)
//   GET  /api/v1/runs/{run_id}         one run with its workflow and nodes
//   GET  /api/v1/runs/{run_id}/events  its events, text/event-stream
//   POST /api/v1/runs/{run_id}/cancel
//   POST /api/v1/runs/{run_id}/rerun
//   GET  /api/v1/workers
#ifndef FLOWGRID_SCHEDULER_CONSOLE_ROUTES_H_
#define FLOWGRID_SCHEDULER_CONSOLE_ROUTES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid::console {

enum class Endpoint { kListRuns, kGetRun, kRunEvents, kCancelRun, kRerunRun, kListWorkers };

struct ApiRoute {
  Endpoint endpoint;
  std::string run_id;  // for the per-run endpoints
};

// True for "/api" and every path below "/api/": the API's, never an asset.
bool IsApiPath(absl::string_view path);

// The endpoint `method` `path` (URL-decoded) names. NotFound for a path
// that is not one of the API's; Unimplemented, naming the method the path
// takes, for another method.
absl::StatusOr<ApiRoute> MatchApiRoute(absl::string_view method, absl::string_view path);

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_ROUTES_H_
