#include "common/retry_delay.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/types/optional.h"

namespace flowgrid {
namespace {

// The payload holds the delay in decimal milliseconds.
constexpr char kRetryDelayPayload[] = "type.flowgrid.dev/flowgrid.RetryDelayMs";

}  // namespace

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(delay, absl::Milliseconds(1))));
  status.SetPayload(kRetryDelayPayload, absl::Cord(std::to_string(ms)));
  return status;
}

std::optional<absl::Duration> GetRetryDelay(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kRetryDelayPayload);
  if (!payload.has_value()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) return std::nullopt;
  return absl::Milliseconds(ms);
}

}  // namespace flowgrid
