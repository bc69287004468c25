#include "client/sdk/retry.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/retry_delay.h"

namespace flowgrid {
namespace {

double RandomJitter() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

absl::Status GaveUp(const absl::Status& failure, int attempts) {
  absl::Status annotated(failure.code(),
                         absl::StrCat(failure.message(), " (gave up after ", attempts,
                                      " attempts)"));
  std::optional<absl::Duration> delay = GetRetryDelay(failure);
  return delay.has_value() ? WithRetryDelay(std::move(annotated), *delay) : annotated;
}

}  // namespace

bool IsRetryable(const absl::Status& failure) {
  return failure.code() == absl::StatusCode::kUnavailable ||
         failure.code() == absl::StatusCode::kResourceExhausted;
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, const absl::Status& failure,
                            double jitter) {
  absl::Duration base;
  if (std::optional<absl::Duration> asked = GetRetryDelay(failure); asked.has_value()) {
    base = *asked;
  } else {
    // Past max_backoff the power no longer matters; capping the exponent
    // keeps it finite.
    double factor = std::pow(policy.backoff_multiplier, std::min(retry - 1, 64));
    base = std::min(policy.max_backoff, policy.initial_backoff * factor);
  }
  return base * (1.0 + std::clamp(jitter, 0.0, 1.0) / 2);
}

absl::Duration RetryWait(const RetryPolicy& policy, int retry, const absl::Status& failure) {
  return BackoffDelay(policy, retry, failure, RandomJitter());
}

absl::Status CallWithRetries(const RetryPolicy& policy, absl::Time deadline,
                             absl::FunctionRef<absl::Status()> attempt) {
  for (int attempts = 1;; ++attempts) {
    absl::Status status = attempt();
    if (status.ok() || !IsRetryable(status)) return status;
    if (attempts >= policy.max_attempts) {
      return attempts > 1 ? GaveUp(status, attempts) : status;
    }
    absl::Duration wait = RetryWait(policy, attempts, status);
    if (absl::Now() + wait >= deadline) return attempts > 1 ? GaveUp(status, attempts) : status;
    absl::SleepFor(wait);
  }
}

}  // namespace flowgrid
