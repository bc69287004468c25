// The scheduler's transport security and authentication, from its flags:
// the credentials of the client port and of the worker port, and the key
// files re-read while it runs.
//
//   tls_cert_file + tls_key_file  TLS on both ports (empty: plaintext)
//   worker_ca_file                the worker port requires a client
//                                 certificate signed by this CA (mutual TLS)
//   worker_token_file             every worker call needs
//                                 "authorization: Bearer <token>"
//   api_keys_file                 every client-port call but grpc.health.v1
//                                 needs an API key (bearer_auth_processor.h)
//
// The key files need TLS: gRPC applies an AuthMetadataProcessor only to a
// TLS port, and a key sent in clear text is anybody's key. Create fails,
// naming the flags, for a key file without TLS, a CA without TLS, a
// certificate without its key (or the reverse), and for any file that cannot
// be read or parsed (pem_files.h, api_keys.h).
//
// While the object lives, a thread re-reads both key files every
// reload_interval (ApiKeys::ReloadIfChanged), so rotation needs no restart.
// Certificates are read once: replacing them takes a restart.
#ifndef FLOWGRID_SCHEDULER_AUTH_SERVER_AUTH_H_
#define FLOWGRID_SCHEDULER_AUTH_SERVER_AUTH_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "scheduler/auth/api_keys.h"

namespace flowgrid::auth {

struct ServerAuthOptions {
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string worker_ca_file;
  std::string worker_token_file;
  std::string api_keys_file;
  absl::Duration reload_interval = absl::Seconds(1);
};

class ServerAuth {
 public:
  static absl::StatusOr<std::unique_ptr<ServerAuth>> Create(const ServerAuthOptions& options);
  ~ServerAuth();
  ServerAuth(const ServerAuth&) = delete;
  ServerAuth& operator=(const ServerAuth&) = delete;

  const std::shared_ptr<grpc::ServerCredentials>& client_credentials() const {
    return client_credentials_;
  }
  const std::shared_ptr<grpc::ServerCredentials>& worker_credentials() const {
    return worker_credentials_;
  }
  // The client API keys; nullptr without api_keys_file.
  const ApiKeys* api_keys() const { return api_keys_.get(); }

  // One line for the start-up log: what each port enforces.
  std::string Describe() const;

 private:
  ServerAuth() = default;
  void ReloadLoop(absl::Duration interval);

  std::unique_ptr<ApiKeys> api_keys_;
  std::unique_ptr<ApiKeys> worker_token_;
  std::shared_ptr<grpc::ServerCredentials> client_credentials_;
  std::shared_ptr<grpc::ServerCredentials> worker_credentials_;
  bool tls_ = false;
  bool worker_mtls_ = false;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reloader_;
};

}  // namespace flowgrid::auth

#endif  // FLOWGRID_SCHEDULER_AUTH_SERVER_AUTH_H_
