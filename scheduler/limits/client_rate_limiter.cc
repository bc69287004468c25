#include "scheduler/limits/client_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace flowgrid::limits {

ClientRateLimiter::ClientRateLimiter(double rate, double burst, Clock clock)
    : rate_(rate),
      interval_(absl::Seconds(1 / rate)),
      tolerance_(interval_ * (burst - 1)),
      refill_time_(interval_ * burst),
      clock_(std::move(clock)),
      next_sweep_(clock_() + refill_time_) {}

double ClientRateLimiter::BurstForRate(double rate) { return std::max(1.0, std::ceil(rate / 10)); }

std::optional<absl::Duration> ClientRateLimiter::TryAcquire(const std::string& client) {
  const absl::Time now = clock_();
  absl::MutexLock lock(&mu_);
  if (now >= next_sweep_) SweepLocked(now);
  absl::Time& full_at = full_at_.try_emplace(client, now).first->second;
  // The bucket holds a token unless taking it would put full_at further
  // ahead of now than the burst allows.
  const absl::Time from = std::max(full_at, now);
  if (from - now > tolerance_) {
    return absl::Ceil(from - now - tolerance_, absl::Milliseconds(1));
  }
  full_at = from + interval_;
  return std::nullopt;
}

size_t ClientRateLimiter::tracked_clients() const {
  absl::MutexLock lock(&mu_);
  return full_at_.size();
}

void ClientRateLimiter::SweepLocked(absl::Time now) {
  absl::erase_if(full_at_, [now](const auto& entry) { return entry.second <= now; });
  next_sweep_ = now + refill_time_;
}

}  // namespace flowgrid::limits
