#include "scheduler/service/client_identity.h"

#include <memory>

#include "grpcpp/security/auth_context.h"

namespace flowgrid::service {

std::string ClientIdentity(const grpc::ServerContext& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr) {
    std::vector<grpc::string_ref> names = auth->FindPropertyValues(kClientIdProperty);
    if (!names.empty()) return std::string(names.front().data(), names.front().size());
  }
  return PeerHost(context.peer());
}

std::string PeerHost(const std::string& peer) {
  for (const char* scheme : {"ipv4:", "ipv6:"}) {
    const std::string prefix = scheme;
    if (peer.rfind(prefix, 0) != 0) continue;
    const std::string address = peer.substr(prefix.size());
    const std::string::size_type colon = address.rfind(':');
    return colon == std::string::npos ? address : address.substr(0, colon);
  }
  return peer;
}

}  // namespace flowgrid::service
