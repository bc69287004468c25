// The PEM files TLS is configured with, read and checked at start-up so that
// a wrong file is named there (gRPC itself only logs a failed handshake per
// connection, or aborts on a key it cannot parse).
//
// Every error names the file and what is wrong with it: missing or
// unreadable (with errno's text), not PEM (no "-----BEGIN" line), no
// certificate or key OpenSSL can parse, or a key that is not the private key
// of the chain's first certificate.
#ifndef FLOWGRID_COMMON_TLS_PEM_FILES_H_
#define FLOWGRID_COMMON_TLS_PEM_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowgrid::tls {

// A certificate chain (leaf first) and the leaf's private key, as PEM text.
struct KeyCertPair {
  std::string cert_chain;
  std::string private_key;
};

// Reads `cert_file` (one or more certificates) and `key_file` (one private
// key) and checks that the key belongs to the first certificate.
absl::StatusOr<KeyCertPair> LoadKeyCertPair(const std::string& cert_file,
                                            const std::string& key_file);

// Reads a CA bundle: at least one certificate.
absl::StatusOr<std::string> LoadCaBundle(const std::string& ca_file);

}  // namespace flowgrid::tls

#endif  // FLOWGRID_COMMON_TLS_PEM_FILES_H_
