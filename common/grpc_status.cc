#include "common/grpc_status.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "common/retry_delay.h"

namespace flowgrid {

// Both enums share the canonical code numbering.
grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (std::optional<absl::Duration> delay = GetRetryDelay(status); delay.has_value()) {
    std::string ms = std::to_string(absl::ToInt64Milliseconds(*delay));
    context->AddTrailingMetadata(kRetryAfterMsKey, ms);
    context->AddTrailingMetadata(kGrpcRetryPushbackMsKey, ms);
  }
  return ToGrpcStatus(status);
}

absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context) {
  absl::Status converted = FromGrpcStatus(status);
  if (converted.ok()) return converted;
  const auto& trailers = context.GetServerTrailingMetadata();
  auto it = trailers.find(kRetryAfterMsKey);
  if (it == trailers.end()) return converted;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(it->second.data(), it->second.size()), &ms) || ms < 0) {
    return converted;  // not ours to interpret: the status stands on its own
  }
  return WithRetryDelay(std::move(converted), absl::Milliseconds(ms));
}

}  // namespace flowgrid
