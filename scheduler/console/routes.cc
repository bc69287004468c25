#include "scheduler/console/routes.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace flowgrid::console {
namespace {

absl::StatusOr<ApiRoute> Take(absl::string_view method, absl::string_view path,
                              absl::string_view wanted, ApiRoute route) {
  if (method != wanted) {
    return absl::UnimplementedError(
        absl::StrCat(method, " ", path, " is not served; use ", wanted));
  }
  return route;
}

}  // namespace

bool IsApiPath(absl::string_view path) {
  return path == "/api" || absl::StartsWith(path, "/api/");
}

absl::StatusOr<ApiRoute> MatchApiRoute(absl::string_view method, absl::string_view path) {
  // "/api/v1/runs/ID/events" -> {"api", "v1", "runs", "ID", "events"}; a
  // trailing slash is not another path.
  absl::string_view trimmed = path;
  absl::ConsumeSuffix(&trimmed, "/");
  std::vector<absl::string_view> parts = absl::StrSplit(trimmed, '/');
  if (parts.size() >= 4 && parts[0].empty() && parts[1] == "api" && parts[2] == "v1") {
    const absl::string_view collection = parts[3];
    if (parts.size() == 4 && collection == "runs") {
      return Take(method, path, "GET", {Endpoint::kListRuns, ""});
    }
    if (parts.size() == 4 && collection == "workers") {
      return Take(method, path, "GET", {Endpoint::kListWorkers, ""});
    }
    if (collection == "runs" && parts.size() >= 5 && !parts[4].empty()) {
      std::string run_id(parts[4]);
      if (parts.size() == 5) return Take(method, path, "GET", {Endpoint::kGetRun, run_id});
      if (parts.size() == 6 && parts[5] == "events") {
        return Take(method, path, "GET", {Endpoint::kRunEvents, run_id});
      }
      if (parts.size() == 6 && parts[5] == "cancel") {
        return Take(method, path, "POST", {Endpoint::kCancelRun, run_id});
      }
      if (parts.size() == 6 && parts[5] == "rerun") {
        return Take(method, path, "POST", {Endpoint::kRerunRun, run_id});
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no API endpoint at ", path));
}

}  // namespace flowgrid::console
