// Where a console request goes: /api/ requests are authenticated
// (api_auth.h), matched to an endpoint (routes.h) and answered by the JSON
// gateway or the event stream; every other GET is a static asset.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_ROUTER_H_
#define FLOWGRID_SCHEDULER_CONSOLE_ROUTER_H_

#include "scheduler/console/api_auth.h"
#include "scheduler/console/event_stream.h"
#include "scheduler/console/http_message.h"
#include "scheduler/console/json_gateway.h"
#include "scheduler/console/static_assets.h"

namespace flowgrid::console {

class Router {
 public:
  // None of the pointers is owned; all outlive the router. `check_api_key`
  // empty: the API needs no key.
  Router(const JsonGateway* gateway, EventStreams* events, const StaticAssets* assets,
         ApiKeyCheck check_api_key)
      : gateway_(gateway),
        events_(events),
        assets_(assets),
        check_api_key_(std::move(check_api_key)) {}

  // Answers `request` on `connection` (thread-safe; returns when answered).
  // API answers carry Cache-Control: no-store; a refused key is 401 with
  // WWW-Authenticate: Bearer.
  void Handle(const HttpRequest& request, HttpConnection& connection) const;

 private:
  const JsonGateway* const gateway_;
  EventStreams* const events_;
  const StaticAssets* const assets_;
  const ApiKeyCheck check_api_key_;
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_ROUTER_H_
