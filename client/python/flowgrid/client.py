"""flowgrid.Client: the scheduler's client API (flowgrid.v1.WorkflowService)
from Python, with the C++ SDK's semantics (client/sdk/client.h): unary calls
have a deadline and are retried on UNAVAILABLE / RESOURCE_EXHAUSTED
(flowgrid.retry), a retried submit carries an idempotency key, and watch
re-attaches after the last event it delivered when the stream breaks."""

import random
import secrets
import time

import grpc

from flowgrid import credentials
from flowgrid.errors import Error, from_rpc_error
from flowgrid.results import NodeRun, Run, RunPage, Validation, Worker, run_status_number
from flowgrid.retry import RetryPolicy, backoff_delay, call_with_retries
from flowgrid.v1 import cluster_pb2, cluster_pb2_grpc, scheduler_pb2, scheduler_pb2_grpc
from flowgrid.values import fill_value_map
from flowgrid.workflows import load_workflow

# As the C++ SDK: runs with large outputs fit, and a restarted scheduler is
# seen again within seconds (gRPC's default reconnect backoff grows to 120 s).
_CHANNEL_OPTIONS = [("grpc.max_receive_message_length", 64 << 20),
                    ("grpc.max_reconnect_backoff_ms", 2000)]
# A watch stream ended by these is re-attached: the scheduler is
# unreachable (UNAVAILABLE), refuses more streams for now
# (RESOURCE_EXHAUSTED) or stopped while streaming (CANCELLED; the client
# cancels its own stream only once it is done with it).
_REATTACH_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED,
                   grpc.StatusCode.CANCELLED)


class Client:
    """A connection to the scheduler's client port at `address`
    (HOST:PORT; default $FLOWGRID_ADDR, else 127.0.0.1:7070). The channel
    connects lazily; nothing answering there (or a failed TLS handshake) is
    an Error with code UNAVAILABLE once the retries are spent.

    tls_ca: connect with TLS, verifying the scheduler's certificate against
        this PEM CA file (True: the system's roots). Default
        $FLOWGRID_TLS_CA; None there or "": plaintext.
    tls_server_name: the name in the scheduler's certificate when it is not
        the address's host.
    tls_cert, tls_key: a client certificate chain and key (PEM files) for a
        scheduler that asks for one.
    api_key, api_key_file: the API key sent with every call as
        `authorization: Bearer <key>`, given or read from the first line of
        a file; default $FLOWGRID_API_KEY, else the file
        $FLOWGRID_API_KEY_FILE names; "" sends none. A scheduler with API
        keys answers a missing or unknown one with Error(UNAUTHENTICATED).
    A CA, certificate or key file that cannot be read is Error
    (INVALID_ARGUMENT) naming the file, raised here.

    timeout: seconds per unary call (all but watch), its retries included.
    retries: a flowgrid.RetryPolicy, or the number of attempts per call
        (1 turns retries off); run_node is never retried.
    watch_reattempts, watch_initial_backoff, watch_max_backoff: watch
        re-attaches a broken or refused stream at most watch_reattempts
        times in a row without receiving an event, the wait doubling from
        the initial to the maximum backoff (seconds): the defaults ride out
        about 40 s without a scheduler, e.g. a restart.

    Use as a context manager, or call close(). Thread-safe: calls are
    independent.
    """

    def __init__(self, address=None, *, tls_ca=None, tls_server_name=None, tls_cert=None,
                 tls_key=None, api_key=None, api_key_file=None, timeout=30.0,
                 retries=RetryPolicy(), watch_reattempts=12, watch_initial_backoff=0.2,
                 watch_max_backoff=5.0):
        self.address = credentials.resolve_address(address)
        self.timeout = timeout
        self.retries = retries if isinstance(retries, RetryPolicy) else RetryPolicy(retries)
        self.watch_reattempts = watch_reattempts
        self.watch_initial_backoff = watch_initial_backoff
        self.watch_max_backoff = watch_max_backoff
        api_key = credentials.resolve_api_key(api_key, api_key_file)
        credentials.check_api_key(api_key)
        # Per-call metadata rather than call credentials, which gRPC sends
        # over TLS only: a key over plaintext on loopback is allowed.
        self._metadata = (("authorization", "Bearer " + api_key),) if api_key else ()
        tls_ca = credentials.resolve_tls_ca(tls_ca)
        if tls_ca:
            options = list(_CHANNEL_OPTIONS)
            if tls_server_name:
                options.append(("grpc.ssl_target_name_override", tls_server_name))
            self._channel = grpc.secure_channel(
                self.address, credentials.channel_credentials(tls_ca, tls_cert, tls_key),
                options=options)
        elif tls_server_name or tls_cert or tls_key:
            raise Error(grpc.StatusCode.INVALID_ARGUMENT,
                        "tls_server_name, tls_cert and tls_key need TLS: give tls_ca")
        else:
            self._channel = grpc.insecure_channel(self.address, options=_CHANNEL_OPTIONS)
        self._stub = scheduler_pb2_grpc.WorkflowServiceStub(self._channel)
        self._cluster = cluster_pb2_grpc.ClusterServiceStub(self._channel)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def submit(self, workflow, inputs=None, idempotency_key=None, *, system=None):
        """Starts a run and returns its id.

        workflow: a flowgrid.v1.Workflow, a dict in flowgrid's JSON form or
            the path of a workflow .json file (flowgrid.load_workflow).
        inputs: {name: plain Python value} for the start node's variables.
        idempotency_key: a key the scheduler has seen before returns the run
            it created then. With retries on and no key given, one is made
            ("py-" and 128 random bits) and sent with every attempt, because
            an attempt that failed with UNAVAILABLE may have been accepted.
        system: system variables read as ["sys", name] (query, user_id, ...).

        A rejected workflow or input raises Error(INVALID_ARGUMENT) listing
        every diagnostic, one per line.
        """
        request = scheduler_pb2.SubmitRunRequest(workflow=load_workflow(workflow))
        fill_value_map(request.inputs, inputs, "inputs")
        fill_value_map(request.system, system, "system")
        if idempotency_key:
            request.idempotency_key = idempotency_key
        elif self.retries.max_attempts > 1:
            request.idempotency_key = "py-" + secrets.token_hex(16)
        response = self._call("SubmitRun", request)
        if not response.run_id:
            raise Error(grpc.StatusCode.INTERNAL,
                        f"SubmitRun to {self.address} succeeded but returned no run id")
        return response.run_id

    def watch(self, run_id, after_sequence=0, *, timeout=None):
        """Yields the run's events (flowgrid.v1.RunEvent messages; their
        WhichOneof("kind") is run_started, node_started, node_retry,
        node_finished, run_resumed or run_finished) after `after_sequence`
        (0: from the first), in order, up to and including run_finished.

        When the stream breaks (UNAVAILABLE: the scheduler is unreachable;
        CANCELLED: it stopped) or is refused for now (RESOURCE_EXHAUSTED:
        the scheduler's cap on watch streams), it re-attaches after the last
        sequence yielded, so each event is yielded once across a scheduler
        restart; the wait is the scheduler's retry-after-ms when it sent
        one, else doubles from watch_initial_backoff (stretched by a random
        factor in [1, 1.5), as flowgrid.retry). After watch_reattempts
        failures in a row without an event it gives up with the last
        failure's code (UNAVAILABLE, or RESOURCE_EXHAUSTED with its
        retry_after). `timeout` (seconds, None: none) bounds the whole
        watch: Error(DEADLINE_EXCEEDED) after it.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        backoff = RetryPolicy(initial_backoff=self.watch_initial_backoff,
                              max_backoff=self.watch_max_backoff)
        last_sequence = after_sequence
        failures_without_progress = 0
        while True:
            request = scheduler_pb2.WatchRunRequest(run_id=run_id, after_sequence=last_sequence)
            stream = self._stub.WatchRun(request, timeout=_remaining(deadline),
                                         metadata=self._metadata)
            try:
                for event in stream:
                    # A re-attached stream may repeat what was already yielded.
                    if event.sequence <= last_sequence:
                        continue
                    last_sequence = event.sequence
                    failures_without_progress = 0
                    yield event
                    if event.HasField("run_finished"):
                        return
            except grpc.RpcError as e:
                failure = from_rpc_error("WatchRun", self.address, e)
            else:
                raise Error(grpc.StatusCode.INTERNAL,
                            f"WatchRun stream of run {run_id} from {self.address} ended without "
                            f"run_finished (last sequence received: {last_sequence})")
            finally:
                # Also when the caller stops iterating early.
                stream.cancel()
            if failure.code not in _REATTACH_CODES:
                raise failure
            failures_without_progress += 1
            if failures_without_progress > self.watch_reattempts:
                refused = failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED
                raise Error(
                    grpc.StatusCode.RESOURCE_EXHAUSTED if refused else grpc.StatusCode.UNAVAILABLE,
                    f"WatchRun of run {run_id} from {self.address} failed "
                    f"{failures_without_progress} times in a row without an event (last "
                    f"sequence {last_sequence}): {failure.message}", failure.retry_after)
            wait = backoff_delay(backoff, failures_without_progress, failure, random.random())
            remaining = _remaining(deadline)
            time.sleep(wait if remaining is None else min(wait, remaining))

    def run(self, workflow, inputs=None, idempotency_key=None, *, system=None, on_event=None,
            timeout=None):
        """Submits the workflow, waits for the run to finish and returns its
        record (flowgrid.Run: status, outputs, error, every node
        execution). `on_event` (optional) is called with each event as
        watch() yields it; `timeout` bounds the wait as in watch(). A run
        that fails is a result (status "FAILED"), not an exception."""
        run_id = self.submit(workflow, inputs, idempotency_key, system=system)
        for event in self.watch(run_id, timeout=timeout):
            if on_event is not None:
                on_event(event)
        return self.get(run_id)

    def get(self, run_id):
        """The run's current record (flowgrid.Run); Error(NOT_FOUND) for an
        unknown id."""
        return Run.from_proto(self._call("GetRun", scheduler_pb2.GetRunRequest(run_id=run_id)))

    def list(self, status=None, page_size=0, page_token=""):
        """One page of the run history, newest first (flowgrid.RunPage).
        `status` ("FAILED", "RUNNING", ...; None: all) filters; page_size 0
        is the scheduler's default; pass the page's next_page_token for the
        next one."""
        request = scheduler_pb2.ListRunsRequest(page_size=page_size, page_token=page_token)
        if status is not None:
            request.status = run_status_number(status)
        response = self._call("ListRuns", request)
        return RunPage([Run.from_proto(r) for r in response.runs], response.next_page_token)

    def cancel(self, run_id):
        """Cancels a run: nothing more of it starts, its running jobs are
        killed, it ends CANCELLED. Returns its record as of the cancel.
        Error(FAILED_PRECONDITION) when it had finished, NOT_FOUND when
        unknown (also when a retried cancel's earlier attempt did cancel it)."""
        return Run.from_proto(self._call("CancelRun",
                                         scheduler_pb2.CancelRunRequest(run_id=run_id)))

    def validate(self, workflow):
        """Every problem of the workflow at once (flowgrid.Validation); an
        invalid workflow is not an exception here."""
        request = scheduler_pb2.ValidateWorkflowRequest(workflow=load_workflow(workflow))
        return Validation.from_proto(self._call("ValidateWorkflow", request))

    def run_node(self, workflow, node_id, inputs=None):
        """Runs one node of `workflow` alone (Dify's "Run This Node") and
        returns its execution (flowgrid.NodeRun, with `branch` for an
        if-else). Inputs are the node's own input names for code and template
        nodes, "node_id.variable" for other kinds. A failure of the node's
        code is data in the result, not an exception. Never retried: the
        node's code may have run."""
        request = scheduler_pb2.RunNodeRequest(workflow=load_workflow(workflow), node_id=node_id)
        fill_value_map(request.inputs, inputs, "inputs")
        response = self._call("RunNode", request, RetryPolicy(max_attempts=1))
        execution = scheduler_pb2.NodeExecution(node_id=node_id, attempt=1,
                                                inputs=request.inputs, result=response.result)
        return NodeRun.from_proto(execution, response.branch)

    def list_workers(self):
        """The workers connected to the scheduler (flowgrid.Worker), from
        its cluster admin API (ClusterService, same address)."""
        response = self._call("ListWorkers", cluster_pb2.ListWorkersRequest(), stub=self._cluster)
        return [Worker.from_proto(w) for w in response.workers]

    def drain_worker(self, worker_id):
        """Asks a worker to drain: it takes no new job, finishes its running
        ones within its --drain_grace and exits. Error(NOT_FOUND) for an id
        that is not connected."""
        self._call("DrainWorker", cluster_pb2.DrainWorkerRequest(worker_id=worker_id),
                   stub=self._cluster)

    def _call(self, rpc, request, retries=None, stub=None):
        """One unary call within self.timeout, retried per `retries`
        (default self.retries); `stub` defaults to the WorkflowService's."""
        deadline = time.monotonic() + self.timeout
        method = getattr(stub or self._stub, rpc)

        def attempt():
            try:
                return method(request, timeout=_remaining(deadline), metadata=self._metadata)
            except grpc.RpcError as e:
                raise from_rpc_error(rpc, self.address, e) from e

        return call_with_retries(retries or self.retries, deadline, attempt)


def _remaining(deadline):
    return None if deadline is None else max(0.0, deadline - time.monotonic())
