'use strict';
// FlowgridError: a failed call, with gRPC's status code kept.

const grpc = require('@grpc/grpc-js');

const CODE_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

class FlowgridError extends Error {
  /**
   * @param {number} code  a gRPC status code (grpc.status.*)
   * @param {string} details  the scheduler's message (INVALID_ARGUMENT from
   *   submit: every validation diagnostic, one per line)
   * @param {{retryAfterMs?: number, cause?: unknown}} [extra]
   */
  constructor(code, details, extra = {}) {
    super(`${CODE_NAMES[code] ?? `code ${code}`}: ${details}`,
      extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'FlowgridError';
    /** gRPC status code, e.g. grpc.status.NOT_FOUND (5). */
    this.code = code;
    /** Its name, e.g. "NOT_FOUND". */
    this.codeName = CODE_NAMES[code] ?? String(code);
    /** The scheduler's message alone. */
    this.details = details;
    /** The scheduler's retry delay (`retry-after-ms` trailer), when it sent one. */
    this.retryAfterMs = extra.retryAfterMs;
  }

  /**
   * A FlowgridError from a grpc-js ServiceError (anything else is returned
   * as it is).
   * @param {any} error
   */
  static fromGrpc(error) {
    if (error instanceof FlowgridError || typeof error?.code !== 'number') return error;
    return new FlowgridError(error.code, error.details ?? error.message,
      { retryAfterMs: retryAfterMs(error.metadata), cause: error });
  }
}

/**
 * The `retry-after-ms` trailer of a failed call, in milliseconds.
 * @param {grpc.Metadata | undefined} metadata
 * @returns {number | undefined}
 */
function retryAfterMs(metadata) {
  const [text] = metadata?.get?.('retry-after-ms') ?? [];
  const ms = Number(text);
  return text !== undefined && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

module.exports = { FlowgridError };
