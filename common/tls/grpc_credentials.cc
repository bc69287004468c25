#include "common/tls/grpc_credentials.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tls/pem_files.h"

namespace flowgrid::tls {

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsFiles& files) {
  absl::StatusOr<KeyCertPair> pair = LoadKeyCertPair(files.cert_file, files.key_file);
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({pair->private_key, pair->cert_chain});
  if (!files.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = LoadCaBundle(files.client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeChannelCredentials(
    const ChannelTlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a client certificate needs both a certificate file and a key file (got certificate \"",
        files.cert_file, "\", key \"", files.key_file, "\")"));
  }
  grpc::SslCredentialsOptions options;
  if (!files.ca_file.empty()) {
    absl::StatusOr<std::string> ca = LoadCaBundle(files.ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *std::move(ca);
  }
  if (!files.cert_file.empty()) {
    absl::StatusOr<KeyCertPair> pair = LoadKeyCertPair(files.cert_file, files.key_file);
    if (!pair.ok()) return pair.status();
    options.pem_private_key = std::move(pair->private_key);
    options.pem_cert_chain = std::move(pair->cert_chain);
  }
  return grpc::SslCredentials(options);
}

}  // namespace flowgrid::tls
