#include "scheduler/auth/server_auth.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/tls/grpc_credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "scheduler/auth/bearer_auth_processor.h"

namespace flowgrid::auth {
namespace {

absl::Status ForFlag(absl::string_view flag, const absl::Status& status) {
  return absl::Status(status.code(), absl::StrCat(flag, ": ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerAuth>> ServerAuth::Create(const ServerAuthOptions& options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls_cert_file and --tls_key_file go together: give both or neither");
  }
  const bool tls = !options.tls_cert_file.empty();
  if (!tls) {
    for (const auto& [flag, value] :
         {std::pair{"--worker_ca_file", &options.worker_ca_file},
          std::pair{"--worker_token_file", &options.worker_token_file},
          std::pair{"--api_keys_file", &options.api_keys_file}}) {
      if (value->empty()) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " needs TLS (--tls_cert_file and --tls_key_file): without it credentials "
                "would cross the network in clear text"));
    }
  }
  std::unique_ptr<ServerAuth> auth(new ServerAuth());
  auth->tls_ = tls;
  auth->worker_mtls_ = !options.worker_ca_file.empty();
  if (!tls) {
    auth->client_credentials_ = grpc::InsecureServerCredentials();
    auth->worker_credentials_ = grpc::InsecureServerCredentials();
    return auth;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> client =
      tls::MakeServerCredentials({options.tls_cert_file, options.tls_key_file, ""});
  if (!client.ok()) return ForFlag("--tls_cert_file/--tls_key_file", client.status());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> worker = tls::MakeServerCredentials(
      {options.tls_cert_file, options.tls_key_file, options.worker_ca_file});
  if (!worker.ok()) return ForFlag("--worker_ca_file", worker.status());
  auth->client_credentials_ = *std::move(client);
  auth->worker_credentials_ = *std::move(worker);
  if (!options.api_keys_file.empty()) {
    absl::StatusOr<std::unique_ptr<ApiKeys>> keys = ApiKeys::LoadApiKeysFile(options.api_keys_file);
    if (!keys.ok()) return ForFlag("--api_keys_file", keys.status());
    auth->api_keys_ = *std::move(keys);
    auth->client_credentials_->SetAuthMetadataProcessor(
        std::make_shared<BearerAuthProcessor>(auth->api_keys_.get(), /*accept_x_api_key=*/true));
  }
  if (!options.worker_token_file.empty()) {
    absl::StatusOr<std::unique_ptr<ApiKeys>> token =
        ApiKeys::LoadWorkerTokenFile(options.worker_token_file);
    if (!token.ok()) return ForFlag("--worker_token_file", token.status());
    auth->worker_token_ = *std::move(token);
    auth->worker_credentials_->SetAuthMetadataProcessor(std::make_shared<BearerAuthProcessor>(
        auth->worker_token_.get(), /*accept_x_api_key=*/false));
  }
  if (auth->api_keys_ != nullptr || auth->worker_token_ != nullptr) {
    ServerAuth* raw = auth.get();
    auth->reloader_ = std::thread([raw, interval = options.reload_interval] {
      raw->ReloadLoop(interval);
    });
  }
  return auth;
}

ServerAuth::~ServerAuth() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (reloader_.joinable()) reloader_.join();
}

void ServerAuth::ReloadLoop(absl::Duration interval) {
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval)) {
    mu_.Unlock();
    // Errors are logged by ReloadIfChanged; the previous keys stay.
    if (api_keys_ != nullptr) (void)api_keys_->ReloadIfChanged();
    if (worker_token_ != nullptr) (void)worker_token_->ReloadIfChanged();
    mu_.Lock();
  }
}

std::string ServerAuth::Describe() const {
  if (!tls_) return "plaintext on both ports (no TLS, no authentication)";
  return absl::StrCat(
      "TLS on both ports; clients: ",
      api_keys_ != nullptr ? absl::StrCat("API keys from ", api_keys_->path())
                           : "no authentication",
      "; workers: ",
      worker_mtls_ ? "client certificate (mutual TLS)" : "no client certificate",
      worker_token_ != nullptr ? absl::StrCat(", token from ", worker_token_->path()) : "",
      worker_mtls_ || worker_token_ != nullptr ? "" : ", no authentication");
}

}  // namespace flowgrid::auth
