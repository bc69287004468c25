// Conversion between absl::Status and grpc::Status. Kept out of the common
// library so that code without gRPC needs no gRPC headers.
//
// A retry delay attached to an absl::Status (common/retry_delay.h) travels
// as trailing metadata: `retry-after-ms` (decimal milliseconds, read by the
// SDK and easy to read from any client) and `grpc-retry-pushback-ms` (the
// same value, which gRPC's own retry policy honours when a client enables
// one, gRFC A6).
#ifndef FLOWGRID_COMMON_GRPC_STATUS_H_
#define FLOWGRID_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/status.h"

namespace flowgrid {

inline constexpr char kRetryAfterMsKey[] = "retry-after-ms";
inline constexpr char kGrpcRetryPushbackMsKey[] = "grpc-retry-pushback-ms";

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// As above, and the status's retry delay, if any, goes into `context`'s
// trailing metadata.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context);

// As above, and a `retry-after-ms` trailer received in `context` is
// attached to the result as its retry delay.
absl::Status FromGrpcStatus(const grpc::Status& status, const grpc::ClientContext& context);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_GRPC_STATUS_H_
