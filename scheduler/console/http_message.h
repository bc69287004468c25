// The console's view of HTTP, apart from the server library that carries
// it (console_server.cc adapts civetweb to it), so that routing, the JSON
// gateway, the event stream and the static assets are tested without
// sockets.
#ifndef FLOWGRID_SCHEDULER_CONSOLE_HTTP_MESSAGE_H_
#define FLOWGRID_SCHEDULER_CONSOLE_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace flowgrid::console {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // The path, URL-decoded, without the query string ("/api/v1/runs").
  std::string path;
  // The query string as sent (still URL-encoded), without the '?'.
  std::string query;
  // The Authorization header's value; empty when absent.
  std::string authorization;
  // The Last-Event-ID header's value (an EventSource reconnecting says
  // which event it saw last); empty when absent.
  std::string last_event_id;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  // Further headers (Retry-After, Cache-Control, ...).
  std::vector<std::pair<std::string, std::string>> headers;
};

// The connection one request is answered on: either one Respond, or one
// StartStream followed by Writes (a streamed body without a length; the
// connection closes when the handler returns).
class HttpConnection {
 public:
  virtual ~HttpConnection() = default;
  virtual void Respond(const HttpResponse& response) = 0;
  // Sends `head`'s status and headers (its body is ignored). False when
  // the client is gone.
  virtual bool StartStream(const HttpResponse& head) = 0;
  // False when the client is gone.
  virtual bool Write(absl::string_view bytes) = 0;
};

}  // namespace flowgrid::console

#endif  // FLOWGRID_SCHEDULER_CONSOLE_HTTP_MESSAGE_H_
