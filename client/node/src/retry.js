'use strict';
// Retries of unary calls, as the C++ SDK does them (client/sdk/retry.h).
//
// Retried: UNAVAILABLE (nothing answered, or the connection broke) and
// RESOURCE_EXHAUSTED (the scheduler is full). The wait before retry n is the
// scheduler's `retry-after-ms` when the failure carries one, otherwise
// min(maxBackoffMs, initialBackoffMs * 2^(n-1)); either is stretched by a
// random factor in [1, 1.5) so that clients refused together do not come
// back together, and never shortened below what the scheduler asked for.

const grpc = require('@grpc/grpc-js');
const { FlowgridError } = require('./errors');

/**
 * @typedef {object} RetryPolicy
 * @property {number} retries  retries after the first attempt (0 = off)
 * @property {number} initialBackoffMs
 * @property {number} maxBackoffMs
 */

/** @param {unknown} error */
function isRetryable(error) {
  return error instanceof FlowgridError &&
    (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.RESOURCE_EXHAUSTED);
}

/**
 * The wait before retry number `retry` (1 = the first) after `error`.
 * @param {RetryPolicy} policy
 * @param {number} retry
 * @param {FlowgridError} error
 * @param {number} jitter  in [0, 1)
 */
function backoffDelayMs(policy, retry, error, jitter) {
  const base = error.retryAfterMs ??
    Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (retry - 1));
  return base * (1 + jitter / 2);
}

/**
 * Calls `attempt(deadline)` until it succeeds, fails with an error that is
 * not retryable, has been retried policy.retries times, or the next wait
 * would end at or past `deadline` (Date.now() milliseconds). Rejects with
 * the last failure as a FlowgridError; after more than one attempt its
 * message ends with how many were made.
 * @template T
 * @param {RetryPolicy} policy
 * @param {number} deadline
 * @param {(deadline: number) => Promise<T>} attempt
 * @returns {Promise<T>}
 */
async function callWithRetries(policy, deadline, attempt) {
  for (let attempts = 1; ; ++attempts) {
    try {
      return await attempt(deadline);
    } catch (thrown) {
      const error = FlowgridError.fromGrpc(thrown);
      if (!isRetryable(error)) throw error;
      const wait = backoffDelayMs(policy, attempts, error, Math.random());
      if (attempts > policy.retries || Date.now() + wait >= deadline) {
        throw attempts > 1 ? gaveUp(error, attempts) : error;
      }
      await sleep(wait);
    }
  }
}

function gaveUp(error, attempts) {
  return new FlowgridError(error.code, `${error.details} (gave up after ${attempts} attempts)`,
    { retryAfterMs: error.retryAfterMs, cause: error.cause });
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { isRetryable, backoffDelayMs, callWithRetries, sleep };
