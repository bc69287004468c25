// The SDK's retries of unary calls: which failures get another attempt,
// how long to wait before it, and the loop that makes the attempts within
// the call's deadline. No gRPC here: an attempt is any function returning
// an absl::Status, so the policy is tested without a server.
//
// Retried: UNAVAILABLE (nothing answered, or the connection broke) and
// RESOURCE_EXHAUSTED (the scheduler is full or out of threads). The wait
// before retry n is the server's retry delay when the failure carries one
// (common/retry_delay.h; the `retry-after-ms` trailer), otherwise
// min(max_backoff, initial_backoff * multiplier^(n-1)); either is then
// stretched by a random factor in [1, 1.5), so clients refused together
// do not come back together, and never shortened below what the server
// asked for.
#ifndef FLOWGRID_CLIENT_SDK_RETRY_H_
#define FLOWGRID_CLIENT_SDK_RETRY_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"

namespace flowgrid {

struct RetryPolicy {
  // Attempts per call, the first included; 1 turns retries off.
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  double backoff_multiplier = 2.0;
};

// Whether a failed attempt is worth another one.
bool IsRetryable(const absl::Status& failure);

// The wait before retry number `retry` (1 = the first retry) after
// `failure`; `jitter` in [0, 1) picks the stretch factor 1 + jitter / 2.
absl::Duration BackoffDelay(const RetryPolicy& policy, int retry, const absl::Status& failure,
                            double jitter);

// BackoffDelay with a random jitter: the wait before an actual retry (the
// unary calls' and Watch's re-attaches).
absl::Duration RetryWait(const RetryPolicy& policy, int retry, const absl::Status& failure);

// Calls `attempt` until it succeeds, fails with a status that is not
// retryable, has been made max_attempts times, or the next wait would end
// at or past `deadline` (an attempt is pointless without time left). Waits
// RetryWait between attempts. Returns the last
// attempt's status; when it gives up on a retryable failure after more than
// one attempt, the message ends with how many were made (the code and the
// retry delay are kept).
absl::Status CallWithRetries(const RetryPolicy& policy, absl::Time deadline,
                             absl::FunctionRef<absl::Status()> attempt);

}  // namespace flowgrid

#endif  // FLOWGRID_CLIENT_SDK_RETRY_H_
