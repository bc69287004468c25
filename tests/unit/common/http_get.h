// A plain HTTP/1.1 GET over a socket, for tests that scrape /metrics the
// way Prometheus does without pulling an HTTP client library in.
#ifndef FLOWGRID_TESTS_UNIT_COMMON_HTTP_GET_H_
#define FLOWGRID_TESTS_UNIT_COMMON_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowgrid::testing {

// GETs `path` from `ipv4_host_port` ("127.0.0.1:PORT") with a 10 s socket
// timeout. Returns the body of a 200 response; any other status, a
// connection failure or a timeout is an error naming it.
absl::StatusOr<std::string> HttpGet(const std::string& ipv4_host_port, const std::string& path);

}  // namespace flowgrid::testing

#endif  // FLOWGRID_TESTS_UNIT_COMMON_HTTP_GET_H_
