// gRPC credentials from PEM files (pem_files.h checks them first, so a bad
// file fails here with its name instead of at the first handshake).
#ifndef FLOWGRID_COMMON_TLS_GRPC_CREDENTIALS_H_
#define FLOWGRID_COMMON_TLS_GRPC_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace flowgrid::tls {

struct ServerTlsFiles {
  std::string cert_file;  // certificate chain served, leaf first
  std::string key_file;   // its private key
  // CA bundle; set: clients must present a certificate it signed (mutual
  // TLS), checked during the handshake. Empty: no client certificate asked.
  std::string client_ca_file;
};

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files);

struct ChannelTlsFiles {
  std::string ca_file;    // verifies the server; empty: the system's roots
  std::string cert_file;  // client certificate for mutual TLS; empty: none
  std::string key_file;   // its key; set exactly when cert_file is
};

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ChannelTlsFiles& files);

}  // namespace flowgrid::tls

#endif  // FLOWGRID_COMMON_TLS_GRPC_CREDENTIALS_H_
