#include "tests/unit/common/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace flowgrid::testing {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::string> HttpGet(const std::string& ipv4_host_port, const std::string& path) {
  size_t colon = ipv4_host_port.rfind(':');
  sockaddr_in address{};
  address.sin_family = AF_INET;
  int port = 0;
  if (colon == std::string::npos ||
      ::inet_pton(AF_INET, ipv4_host_port.substr(0, colon).c_str(), &address.sin_addr) != 1 ||
      !absl::SimpleAtoi(ipv4_host_port.substr(colon + 1), &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ipv4_host_port, "\" is not IPV4:PORT"));
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (socket.get() < 0) return Errno("socket");
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(socket.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(socket.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return Errno(absl::StrCat("connect to ", ipv4_host_port));
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", ipv4_host_port,
                   "\r\nConnection: close\r\n\r\n");
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(socket.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return Errno(absl::StrCat("send to ", ipv4_host_port));
    sent += static_cast<size_t>(n);
  }
  // The server closes the connection after the response (Connection: close).
  std::string response;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::recv(socket.get(), buffer, sizeof(buffer), 0);
    if (n < 0) return Errno(absl::StrCat("receive from ", ipv4_host_port));
    if (n == 0) break;
    response.append(buffer, static_cast<size_t>(n));
  }
  size_t body = response.find("\r\n\r\n");
  if (body == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no complete HTTP response from ", ipv4_host_port));
  }
  std::string status_line = response.substr(0, response.find("\r\n"));
  if (!absl::StartsWith(status_line, "HTTP/1.1 200") &&
      !absl::StartsWith(status_line, "HTTP/1.0 200")) {
    return absl::FailedPreconditionError(
        absl::StrCat("GET ", path, " from ", ipv4_host_port, ": ", status_line));
  }
  return response.substr(body + 4);
}

}  // namespace flowgrid::testing
