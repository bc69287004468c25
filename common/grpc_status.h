// Conversion between absl::Status and grpc::Status. Kept out of the common
// library so that code without gRPC needs no gRPC headers.
#ifndef FLOWGRID_COMMON_GRPC_STATUS_H_
#define FLOWGRID_COMMON_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace flowgrid {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_GRPC_STATUS_H_
