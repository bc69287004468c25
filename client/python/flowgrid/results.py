"""What the client returns, as plain Python: runs, node executions, node
errors and validation reports. Values are plain Python values
(flowgrid.values); statuses are the proto enum names without their prefix
("SUCCEEDED", "FAILED", ...). Each keeps its protobuf message as `proto`."""

import dataclasses
from typing import Any, Dict, List, Optional

from flowgrid.v1 import cluster_pb2, workflow_pb2
from flowgrid.values import from_value_map


@dataclasses.dataclass(frozen=True)
class NodeError:
    """Why a node (or the run) failed: `code` is the ErrorCode name
    ("RUNTIME_ERROR", "TIMEOUT", ...), `traceback` the user's traceback for
    RUNTIME_ERROR (line numbers relative to the node's code)."""
    code: str
    message: str
    traceback: str

    @staticmethod
    def from_proto(error, present):
        if not present:
            return None
        return NodeError(workflow_pb2.ErrorCode.Name(error.code), error.message, error.traceback)


@dataclasses.dataclass(frozen=True)
class NodeRun:
    """One execution (attempt) of a node. `branch` is the if-else branch a
    run_node() would take ("" otherwise: a run's record does not keep it)."""
    node_id: str
    attempt: int
    status: str  # "SUCCEEDED", "FAILED", "SKIPPED", "EXCEPTION", ...
    inputs: Dict[str, Any]
    outputs: Dict[str, Any]
    error: Optional[NodeError]
    stdout: str
    stderr: str
    warnings: List[str]
    branch: str = ""
    proto: Any = dataclasses.field(default=None, repr=False, compare=False)

    @staticmethod
    def from_proto(execution, branch=""):
        result = execution.result
        return NodeRun(
            node_id=execution.node_id, attempt=execution.attempt,
            status=_enum_name(workflow_pb2.NodeStatus, result.status, "NODE_"),
            inputs=from_value_map(execution.inputs), outputs=from_value_map(result.outputs),
            error=NodeError.from_proto(result.error, result.HasField("error")),
            stdout=result.stdout, stderr=result.stderr, warnings=list(result.warnings),
            branch=branch, proto=execution)


@dataclasses.dataclass(frozen=True)
class Run:
    """A run's record: status ("PENDING", "RUNNING", "SUCCEEDED",
    "PARTIAL_SUCCEEDED", "FAILED", "CANCELLED"), inputs, outputs, the error
    that ended it and the node that failed, and every node execution so far
    in the order they happened."""
    run_id: str
    workflow_name: str
    status: str
    inputs: Dict[str, Any]
    outputs: Dict[str, Any]
    error: Optional[NodeError]
    failed_node_id: str
    nodes: List[NodeRun]
    proto: Any = dataclasses.field(repr=False, compare=False)

    @property
    def succeeded(self):
        """SUCCEEDED or PARTIAL_SUCCEEDED (some failures were handled)."""
        return self.status in ("SUCCEEDED", "PARTIAL_SUCCEEDED")

    def node(self, node_id):
        """The last execution of `node_id`; KeyError if it did not run."""
        for execution in reversed(self.nodes):
            if execution.node_id == node_id:
                return execution
        raise KeyError(f"node {node_id!r} has no execution in run {self.run_id}")

    @staticmethod
    def from_proto(run):
        return Run(
            run_id=run.run_id, workflow_name=run.workflow_name,
            status=_enum_name(workflow_pb2.RunStatus, run.status, "RUN_"),
            inputs=from_value_map(run.inputs), outputs=from_value_map(run.outputs),
            error=NodeError.from_proto(run.error, run.HasField("error")),
            failed_node_id=run.failed_node_id,
            nodes=[NodeRun.from_proto(n) for n in run.nodes], proto=run)


@dataclasses.dataclass(frozen=True)
class RunPage:
    """One page of the run history, newest first; `next_page_token` is ""
    on the last page."""
    runs: List[Run]
    next_page_token: str


@dataclasses.dataclass(frozen=True)
class Worker:
    """A worker connected to the scheduler: its slots, the jobs it holds
    ("<run id>/<task>/<attempt>"), its runtimes ("PYTHON3", "JAVASCRIPT")
    and state ("CONNECTED", or "DRAINING": it takes no new job)."""
    worker_id: str
    peer: str
    slots: int
    free_slots: int
    running_jobs: List[str]
    runtimes: List[str]
    state: str
    proto: Any = dataclasses.field(repr=False, compare=False)

    @staticmethod
    def from_proto(worker):
        return Worker(
            worker_id=worker.worker_id, peer=worker.peer, slots=worker.slots,
            free_slots=worker.free_slots, running_jobs=list(worker.running_jobs),
            runtimes=[workflow_pb2.CodeNode.Language.Name(r) for r in worker.runtimes],
            state=cluster_pb2.WorkerStatus.State.Name(worker.state), proto=worker)


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One problem of a workflow: the node, the field and why."""
    node_id: str
    field: str
    message: str


@dataclasses.dataclass(frozen=True)
class Validation:
    """Every problem of a workflow at once; a valid workflow's nodes in a
    topological order."""
    valid: bool
    diagnostics: List[Diagnostic]
    order: List[str]

    @staticmethod
    def from_proto(response):
        return Validation(response.valid,
                          [Diagnostic(d.node_id, d.field, d.message) for d in response.diagnostics],
                          list(response.order))


def run_status_number(name):
    """The RunStatus number of "FAILED", "running", ... (ValueError naming
    the valid ones otherwise)."""
    full = "RUN_" + name.upper()
    if full not in workflow_pb2.RunStatus.keys() or full == "RUN_STATUS_UNSPECIFIED":
        names = [n[len("RUN_"):] for n in workflow_pb2.RunStatus.keys()
                 if n != "RUN_STATUS_UNSPECIFIED"]
        raise ValueError(f"unknown run status {name!r}; one of {', '.join(names)}")
    return workflow_pb2.RunStatus.Value(full)


def _enum_name(enum, number, prefix):
    name = enum.Name(number)
    return name[len(prefix):] if name.startswith(prefix) else name
