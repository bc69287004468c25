// Reconnection delays: exponential with jitter, capped. Jitter keeps a
// fleet of workers that lost the scheduler at the same moment from
// reconnecting in lockstep. Not thread-safe.
#ifndef FLOWGRID_WORKER_AGENT_BACKOFF_H_
#define FLOWGRID_WORKER_AGENT_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace flowgrid::agent {

class Backoff {
 public:
  // The n-th delay (from 0) is drawn uniformly from [b/2, b] with
  // b = min(initial * 2^n, max).
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed);

  absl::Duration Next();
  // After a successful connection: the next delay starts from `initial`.
  void Reset() { ceiling_ = initial_; }

 private:
  absl::Duration initial_;
  absl::Duration max_;
  absl::Duration ceiling_;
  std::mt19937_64 random_;
};

}  // namespace flowgrid::agent

#endif  // FLOWGRID_WORKER_AGENT_BACKOFF_H_
