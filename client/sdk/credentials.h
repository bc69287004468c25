// How a flowgrid::Client secures and authenticates its channel (see
// ClientOptions in client.h): TLS towards the scheduler's client port, and
// the API key sent with every call.
//
// No gRPC here: the channel credentials are built in client.cc.
#ifndef FLOWGRID_CLIENT_SDK_CREDENTIALS_H_
#define FLOWGRID_CLIENT_SDK_CREDENTIALS_H_

#include <string>

#include "absl/status/statusor.h"

namespace flowgrid {

struct TlsOptions {
  // TLS on: the scheduler's certificate is verified against ca_file's PEM
  // certificates, or against the system's roots when ca_file is empty.
  // Off (the default) with any other field set is an error at Connect: a
  // CA file given with TLS off is a mistake, not a wish for plaintext.
  bool enabled = false;
  std::string ca_file;
  // A client certificate chain and its private key (PEM files), for a
  // scheduler that asks for one (mutual TLS); both or neither.
  std::string cert_file;
  std::string key_file;
  // The name the scheduler's certificate must carry, when it differs from
  // the host of the address dialled (e.g. an IP address, or a load
  // balancer's name); empty: the address's host.
  std::string server_name;
};

// The API key held in the file at `path`: its first line without
// surrounding whitespace (the form `flowgridctl dev` writes). Errors name
// the file and never show what it holds; an empty first line is one.
absl::StatusOr<std::string> ReadApiKeyFile(const std::string& path);

}  // namespace flowgrid

#endif  // FLOWGRID_CLIENT_SDK_CREDENTIALS_H_
