#include "tests/e2e/grpc_probes.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace flowgrid::e2e {
namespace {

constexpr absl::Duration kCallTimeout = absl::Seconds(10);

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
}

std::string StatusName(grpc::health::v1::HealthCheckResponse::ServingStatus status) {
  return grpc::health::v1::HealthCheckResponse::ServingStatus_Name(status);
}

}  // namespace

absl::StatusOr<std::string> CheckHealth(const std::string& address, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(context, kCallTimeout);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return StatusName(response.status());
}

absl::StatusOr<std::vector<std::string>> ListServices(const std::string& address) {
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(Channel(address));
  grpc::ClientContext context;
  SetDeadline(context, kCallTimeout);
  auto stream = stub->ServerReflectionInfo(&context);
  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  stream->Write(request);
  stream->WritesDone();
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  const bool answered = stream->Read(&response);
  grpc::Status status = stream->Finish();
  if (!status.ok()) return FromGrpcStatus(status);
  if (!answered || !response.has_list_services_response()) {
    return absl::InternalError(
        absl::StrCat("server reflection at ", address, " did not list its services"));
  }
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

HealthWatch::HealthWatch(const std::string& address, const std::string& service,
                         absl::Duration timeout) {
  SetDeadline(context_, timeout);
  reader_ = std::thread([this, address, service] {
    auto stub = grpc::health::v1::Health::NewStub(Channel(address));
    grpc::health::v1::HealthCheckRequest request;
    request.set_service(service);
    auto stream = stub->Watch(&context_, request);
    grpc::health::v1::HealthCheckResponse response;
    while (stream->Read(&response)) {
      absl::MutexLock lock(&mu_);
      statuses_.push_back(StatusName(response.status()));
    }
    (void)stream->Finish();
    absl::MutexLock lock(&mu_);
    ended_ = true;
  });
}

HealthWatch::~HealthWatch() {
  context_.TryCancel();
  reader_.join();
}

std::vector<std::string> HealthWatch::AwaitStatuses(size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return ended_ || statuses_.size() >= count;
  };
  mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
  return statuses_;
}

std::vector<std::string> HealthWatch::AwaitEnd() {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return ended_; };
  mu_.Await(absl::Condition(&ended));
  return statuses_;
}

}  // namespace flowgrid::e2e
