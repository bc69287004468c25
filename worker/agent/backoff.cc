#include "worker/agent/backoff.h"

#include <algorithm>

namespace flowgrid::agent {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(std::max(initial, max)), ceiling_(initial), random_(seed) {}

absl::Duration Backoff::Next() {
  const int64_t ceiling_us = absl::ToInt64Microseconds(ceiling_);
  std::uniform_int_distribution<int64_t> pick(ceiling_us / 2, ceiling_us);
  const absl::Duration delay = absl::Microseconds(pick(random_));
  ceiling_ = std::min(ceiling_ * 2, max_);
  return delay;
}

}  // namespace flowgrid::agent
