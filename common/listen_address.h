// Checks a HOST:PORT given to an embedded HTTP server (civetweb: the
// metrics endpoint, the web console) before the server sees it: civetweb
// reads a list of ports with per-port flags ("8080s,8443r"), which an
// address flag must not smuggle in.
#ifndef FLOWGRID_COMMON_LISTEN_ADDRESS_H_
#define FLOWGRID_COMMON_LISTEN_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace flowgrid {

// The host part of `addr` when it is HOST:PORT with a port in 0..65535 and
// no list separator; otherwise INVALID_ARGUMENT naming `what` ("metrics
// address") and the address.
absl::StatusOr<std::string> ListenAddressHost(absl::string_view addr, absl::string_view what);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_LISTEN_ADDRESS_H_
