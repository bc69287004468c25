#include "scheduler/console/router.h"

#include "absl/strings/str_cat.h"
#include "scheduler/console/json_mapping.h"
#include "scheduler/console/routes.h"

namespace flowgrid::console {

void Router::Handle(const HttpRequest& request, HttpConnection& connection) const {
  if (!IsApiPath(request.path)) {
    if (request.method != "GET") {
      connection.Respond(ErrorResponse(absl::UnimplementedError(
          absl::StrCat(request.method, " ", request.path, " is not served; use GET"))));
      return;
    }
    connection.Respond(assets_->Serve(request.path));
    return;
  }
  absl::StatusOr<std::string> client = AuthenticateRequest(check_api_key_, request.authorization);
  if (!client.ok()) {
    HttpResponse refused = ErrorResponse(client.status());
    refused.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"flowgrid\"");
    refused.headers.emplace_back("Cache-Control", "no-store");
    connection.Respond(refused);
    return;
  }
  absl::StatusOr<ApiRoute> route = MatchApiRoute(request.method, request.path);
  HttpResponse response;
  if (!route.ok()) {
    response = ErrorResponse(route.status());
  } else if (route->endpoint == Endpoint::kRunEvents) {
    events_->Serve(route->run_id, request, connection);
    return;
  } else {
    response = gateway_->Handle(*route, request.query);
  }
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  connection.Respond(response);
}

}  // namespace flowgrid::console
