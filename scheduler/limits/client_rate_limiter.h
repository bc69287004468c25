// limits::ClientRateLimiter — a token bucket per client: each client may
// take `rate` tokens per second on average, and up to `burst` at once
// after being idle. Used for WatchRun streams (--max_watch_rate), keyed by
// service::ClientIdentity.
//
// Kept as the generic cell rate algorithm: per client, the time at which
// its bucket will be full again, so that the arithmetic is exact
// (absl::Duration) and a bucket that is full is simply one whose time has
// passed. Such buckets are the same as no bucket and are dropped by a sweep
// that runs at most once per refill time (burst / rate): memory stays
// bounded by the clients active within about two refill times. The clock
// is injected so that tests step time instead of sleeping. Thread-safe.
#ifndef FLOWGRID_SCHEDULER_LIMITS_CLIENT_RATE_LIMITER_H_
#define FLOWGRID_SCHEDULER_LIMITS_CLIENT_RATE_LIMITER_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace flowgrid::limits {

class ClientRateLimiter {
 public:
  using Clock = std::function<absl::Time()>;

  // `rate` tokens per second (> 0), `burst` tokens at most (>= 1).
  ClientRateLimiter(double rate, double burst, Clock clock = absl::Now);

  // The burst for a flag that only sets the rate: a tenth of a second's
  // worth, at least 1 — enough for a client that starts a handful of
  // watches at once, small enough that the rate holds over any second.
  static double BurstForRate(double rate);

  // Takes one of `client`'s tokens and returns nullopt, or, when it has
  // none, takes nothing and returns how long until it has one (rounded up
  // to whole milliseconds).
  std::optional<absl::Duration> TryAcquire(const std::string& client);

  // Clients with a bucket (not yet refilled, or not yet swept).
  size_t tracked_clients() const;

  double rate() const { return rate_; }

 private:
  // Drops the buckets that are full at `now`.
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const double rate_;
  const absl::Duration interval_;   // one token's worth: 1 / rate
  const absl::Duration tolerance_;  // how far ahead a burst may go: (burst - 1) / rate
  const absl::Duration refill_time_;  // from empty to full: burst / rate
  const Clock clock_;
  mutable absl::Mutex mu_;
  // Client -> when its bucket is full again.
  absl::flat_hash_map<std::string, absl::Time> full_at_ ABSL_GUARDED_BY(mu_);
  absl::Time next_sweep_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowgrid::limits

#endif  // FLOWGRID_SCHEDULER_LIMITS_CLIENT_RATE_LIMITER_H_
