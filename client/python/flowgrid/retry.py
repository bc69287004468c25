"""Retries of the unary calls, as the C++ SDK does them (client/sdk/retry.h).

Retried: UNAVAILABLE (nothing answered, or the connection broke) and
RESOURCE_EXHAUSTED (the scheduler is full). The wait before retry n is the
scheduler's `retry-after-ms` when the failure carries one, otherwise
min(max_backoff, initial_backoff * multiplier**(n-1)); either is stretched
by a random factor in [1, 1.5) so that clients refused together do not come
back together, and never shortened below what the scheduler asked for.
"""

import dataclasses
import random
import time

import grpc

from flowgrid.errors import Error

RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Attempts per call, the first included (1 turns retries off), and the
    backoff between them in seconds."""
    max_attempts: int = 5
    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    backoff_multiplier: float = 2.0

    def __post_init__(self):
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, not {self.max_attempts}")


def backoff_delay(policy, retry, error, jitter):
    """Seconds to wait before retry number `retry` (1 = the first) after the
    flowgrid.Error `error`; `jitter` in [0, 1) picks the stretch 1 + jitter/2."""
    if error.retry_after is not None:
        base = error.retry_after
    else:
        base = min(policy.max_backoff,
                   policy.initial_backoff * policy.backoff_multiplier ** min(retry - 1, 64))
    return base * (1.0 + min(max(jitter, 0.0), 1.0) / 2)


def call_with_retries(policy, deadline, attempt, *, clock=time.monotonic, sleep=time.sleep,
                      jitter=random.random):
    """Returns attempt()'s result, calling it again after a retryable
    flowgrid.Error until it has been made max_attempts times or the next
    wait would end at or past `deadline` (a clock() value). The last error
    is raised; when more than one attempt was made its message ends with
    how many."""
    attempts = 0
    while True:
        attempts += 1
        try:
            return attempt()
        except Error as error:
            if error.code not in RETRYABLE:
                raise
            wait = backoff_delay(policy, attempts, error, jitter())
            if attempts >= policy.max_attempts or clock() + wait >= deadline:
                if attempts > 1:
                    error.message += f" (gave up after {attempts} attempts)"
                    error.args = (error.message,)
                raise
            sleep(wait)
