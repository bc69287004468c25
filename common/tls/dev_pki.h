// A local certificate authority and certificates for development clusters
// (`flowgridctl dev`, LocalCluster, tests): never for production, where the
// operator's own PKI issues them (docs/OPERATIONS.md).
//
// EnsureDevPki(dir) makes `dir` (0700) hold
//   ca.pem, ca-key.pem          a self-signed CA (EC P-256), 10 years
//   server.pem, server-key.pem  serverAuth, SANs localhost, 127.0.0.1, ::1
//   worker.pem, worker-key.pem  clientAuth, CN flowgrid-worker (mutual TLS)
// signed by that CA, keys PKCS#8 PEM with mode 0600. Files already there are
// reused when every certificate parses, is valid now and for at least one
// more day, matches its key and (leaves) verifies against ca.pem; otherwise
// all six are generated anew (each written to a temporary file and renamed).
// Generated with OpenSSL's libcrypto in process.
#ifndef FLOWGRID_COMMON_TLS_DEV_PKI_H_
#define FLOWGRID_COMMON_TLS_DEV_PKI_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowgrid::tls {

// Paths of the files under the directory.
struct DevPki {
  std::string ca_cert;
  std::string ca_key;
  std::string server_cert;
  std::string server_key;
  std::string worker_cert;
  std::string worker_key;
};

absl::StatusOr<DevPki> EnsureDevPki(const std::string& dir);

}  // namespace flowgrid::tls

#endif  // FLOWGRID_COMMON_TLS_DEV_PKI_H_
