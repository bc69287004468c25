// Reaching the scheduler from a command, and saying what to do when that
// failed.
#include <iostream>

#include "client/cli/commands.h"
#include "client/sdk/credentials.h"

namespace flowgrid::cli {
namespace {

// Printed after a connection failure: the usual causes are no local cluster
// and a TLS setting that does not match the scheduler's.
constexpr char kConnectHint[] =
    "  (start a local cluster with 'flowgridctl dev', or point --addr / $FLOWGRID_ADDR "
    "at a running scheduler; a scheduler serving TLS needs --tls_ca / $FLOWGRID_TLS_CA)\n";
// Printed when the scheduler refused the call's API key (or its absence).
constexpr char kApiKeyHint[] =
    "  (give an API key the scheduler knows with --api_key_file, $FLOWGRID_API_KEY_FILE or "
    "$FLOWGRID_API_KEY; 'flowgridctl dev' prints the export lines for its cluster)\n";

}  // namespace

int Fail(const std::string& command, int exit_code, const absl::Status& status) {
  std::cerr << "flowgridctl " << command << ": " << status.message() << "\n";
  if (status.code() == absl::StatusCode::kUnavailable) std::cerr << kConnectHint;
  if (status.code() == absl::StatusCode::kUnauthenticated) std::cerr << kApiKeyHint;
  return exit_code;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectToScheduler(const Connection& connection,
                                                           ClientOptions options) {
  options.tls.enabled = !connection.tls_ca_file.empty();
  options.tls.ca_file = connection.tls_ca_file;
  options.tls.server_name = connection.tls_server_name;
  if (!connection.tls_server_name.empty() && !options.tls.enabled) {
    return absl::InvalidArgumentError(
        "--tls_server_name needs TLS: give the CA with --tls_ca or $FLOWGRID_TLS_CA");
  }
  options.api_key = connection.api_key;
  if (!connection.api_key_file.empty()) {
    absl::StatusOr<std::string> key = ReadApiKeyFile(connection.api_key_file);
    if (!key.ok()) return key.status();
    options.api_key = *std::move(key);
  }
  return Client::Connect(connection.address, std::move(options));
}

}  // namespace flowgrid::cli
