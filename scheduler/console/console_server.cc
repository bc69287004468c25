#include "scheduler/console/console_server.h"

#include <civetweb.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/listen_address.h"
#include "common/log.h"

namespace flowgrid::console {
namespace {

// A civetweb connection as the Router's HttpConnection. Every response
// closes its connection (keep-alive is off: a kept-alive connection would
// hold one of the server's threads while idle).
class CivetConnection final : public HttpConnection {
 public:
  explicit CivetConnection(mg_connection* connection) : connection_(connection) {}

  void Respond(const HttpResponse& response) override {
    if (!SendHead(response, true)) return;
    (void)Write(response.body);
  }

  bool StartStream(const HttpResponse& head) override { return SendHead(head, false); }

  bool Write(absl::string_view bytes) override {
    return bytes.empty() || mg_write(connection_, bytes.data(), bytes.size()) > 0;
  }

  int status() const { return status_; }

 private:
  bool SendHead(const HttpResponse& response, bool with_length) {
    status_ = response.status;
    if (mg_response_header_start(connection_, response.status) != 0) return false;
    if (!response.content_type.empty()) {
      mg_response_header_add(connection_, "Content-Type", response.content_type.c_str(), -1);
    }
    if (with_length) {
      const std::string length = absl::StrCat(response.body.size());
      mg_response_header_add(connection_, "Content-Length", length.c_str(), -1);
    }
    for (const auto& [name, value] : response.headers) {
      mg_response_header_add(connection_, name.c_str(), value.c_str(), -1);
    }
    return mg_response_header_send(connection_) == 0;
  }

  mg_connection* const connection_;
  int status_ = 500;
};

std::string HeaderOf(mg_connection* connection, const char* name) {
  const char* value = mg_get_header(connection, name);
  return value == nullptr ? std::string() : std::string(value);
}

// civetweb's own messages (a failed write, a bad request line) go to the
// scheduler's log.
int LogMessage(const mg_connection*, const char* message) {
  LogWarning(absl::StrCat("console: ", message));
  return 1;
}

}  // namespace

ConsoleServer::ConsoleServer(ConsoleOptions options, std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      workflows_(v1::WorkflowService::NewStub(channel_)),
      cluster_(v1::ClusterService::NewStub(channel_)),
      gateway_(workflows_.get(), cluster_.get()),
      events_(workflows_.get(), options.events),
      assets_(options.assets_dir),
      router_(&gateway_, &events_, &assets_, std::move(options.check_api_key)) {}

absl::StatusOr<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(
    ConsoleOptions options, std::shared_ptr<grpc::Channel> channel) {
  const std::string addr = options.addr;
  absl::StatusOr<std::string> host = ListenAddressHost(addr, "console address");
  if (!host.ok()) return host.status();
  const std::string threads =
      absl::StrCat(options.events.max_streams + options.request_threads);
  std::unique_ptr<ConsoleServer> server(new ConsoleServer(std::move(options), std::move(channel)));

  mg_init_library(0);
  mg_callbacks callbacks = {};
  callbacks.begin_request = &ConsoleServer::BeginRequest;
  callbacks.log_message = &LogMessage;
  const char* config[] = {"listening_ports", addr.c_str(), "num_threads", threads.c_str(),
                          "enable_keep_alive", "no", nullptr};
  mg_init_data init = {&callbacks, server.get(), config};
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error = {&error_code, error_text, sizeof(error_text)};
  server->context_ = mg_start2(&init, &error);
  if (server->context_ == nullptr) {
    mg_exit_library();
    return absl::UnavailableError(
        absl::StrCat("cannot serve the console on ", addr, ": ", error_text));
  }
  mg_server_port ports[4] = {};
  const int found = mg_get_server_ports(server->context_, 4, ports);
  if (found < 1) {
    return absl::UnavailableError(absl::StrCat("cannot serve the console on ", addr,
                                               ": civetweb reports no listening port"));
  }
  server->bound_address_ = absl::StrCat(*host, ":", ports[0].port);
  return server;
}

ConsoleServer::~ConsoleServer() {
  // Streams first: each holds a server thread that mg_stop would wait for.
  events_.Stop();
  if (context_ != nullptr) {
    mg_stop(context_);
    mg_exit_library();
  }
}

int ConsoleServer::BeginRequest(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  auto* server = static_cast<ConsoleServer*>(info->user_data);
  HttpRequest request;
  request.method = info->request_method == nullptr ? "" : info->request_method;
  request.path = info->local_uri_raw == nullptr ? "/" : info->local_uri_raw;
  request.query = info->query_string == nullptr ? "" : info->query_string;
  request.authorization = HeaderOf(connection, "Authorization");
  request.last_event_id = HeaderOf(connection, "Last-Event-ID");
  CivetConnection answer(connection);
  server->router_.Handle(request, answer);
  return answer.status();
}

}  // namespace flowgrid::console
