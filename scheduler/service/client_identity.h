// Who is calling the client port, for per-client limits and logs.
//
// The authenticated client's name when the call carried a valid API key (the
// auth layer stores it in the call's AuthContext under kClientIdProperty);
// otherwise the caller's address without its port ("127.0.0.1", "[::1]"),
// so that an unauthenticated deployment still limits each host on its own.
#ifndef FLOWGRID_SCHEDULER_SERVICE_CLIENT_IDENTITY_H_
#define FLOWGRID_SCHEDULER_SERVICE_CLIENT_IDENTITY_H_

#include <string>

#include "grpcpp/server_context.h"

namespace flowgrid::service {

// AuthContext property naming the API key's client (scheduler/auth sets it).
inline constexpr char kClientIdProperty[] = "flowgrid.client_id";

std::string ClientIdentity(const grpc::ServerContext& context);

// The host part of a gRPC peer URI ("ipv4:10.0.0.1:5000" → "10.0.0.1",
// "ipv6:[::1]:5000" → "[::1]", "unix:/path" → "unix:/path").
std::string PeerHost(const std::string& peer);

}  // namespace flowgrid::service

#endif  // FLOWGRID_SCHEDULER_SERVICE_CLIENT_IDENTITY_H_
