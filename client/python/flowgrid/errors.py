"""flowgrid.Error: what a failed call to the scheduler raises."""

import grpc

RETRY_AFTER_MS_KEY = "retry-after-ms"


class Error(Exception):
    """A call to the scheduler failed.

    `code` is the grpc.StatusCode (INVALID_ARGUMENT: the workflow or inputs
    were rejected, `message` lists every diagnostic one per line; NOT_FOUND:
    no such run; FAILED_PRECONDITION: cancelling a finished run; UNAVAILABLE:
    nothing answers at the address; RESOURCE_EXHAUSTED: the scheduler is
    full). `retry_after` is the delay in seconds the scheduler asked for
    before another try (its `retry-after-ms` trailer), or None.
    """

    def __init__(self, code, message, retry_after=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def __str__(self):
        return f"{self.code.name}: {self.message}"


def retry_after_seconds(rpc_error):
    """The scheduler's `retry-after-ms` trailer of a failed call, in seconds,
    or None when it sent none (or something that is not a number)."""
    trailers = rpc_error.trailing_metadata() if hasattr(rpc_error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == RETRY_AFTER_MS_KEY:
            try:
                return max(0, int(value)) / 1000.0
            except ValueError:
                return None
    return None


def from_rpc_error(rpc, address, rpc_error):
    """The Error for a grpc.RpcError of call `rpc` to `address`.

    INVALID_ARGUMENT keeps the scheduler's message as is (its diagnostics
    already say what is wrong); other codes name the call and the address,
    which is what a reader needs for transport problems.
    """
    code = rpc_error.code() if hasattr(rpc_error, "code") else grpc.StatusCode.UNKNOWN
    details = (rpc_error.details() if hasattr(rpc_error, "details") else None) or str(rpc_error)
    if code != grpc.StatusCode.INVALID_ARGUMENT:
        details = f"{rpc} to {address} failed: {details}"
    return Error(code, details, retry_after_seconds(rpc_error))
