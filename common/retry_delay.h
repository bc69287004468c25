// A retry delay carried by an absl::Status: the code that refuses work for
// now (RESOURCE_EXHAUSTED when the scheduler is full) says when to come
// back. The gRPC servicers turn it into trailing metadata and the SDK turns
// it back (common/grpc_status.h), so it crosses the wire unchanged.
#ifndef FLOWGRID_COMMON_RETRY_DELAY_H_
#define FLOWGRID_COMMON_RETRY_DELAY_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace flowgrid {

// `status` with `delay` attached (rounded to whole milliseconds, at least
// 1 ms). An OK status carries no payload and is returned as is.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);

// The delay attached by WithRetryDelay, if any.
std::optional<absl::Duration> GetRetryDelay(const absl::Status& status);

}  // namespace flowgrid

#endif  // FLOWGRID_COMMON_RETRY_DELAY_H_
