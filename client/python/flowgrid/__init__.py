"""The flowgrid Python client: submit workflows to a flowgrid scheduler,
stream their events and read their results (see client/python/README.md).

    import flowgrid
    with flowgrid.Client("127.0.0.1:7070") as client:
        run = client.run("hello.json", {"name": "World"})
        print(run.status, run.outputs)

The protobuf and gRPC modules generated from proto/flowgrid/v1 at build
time are flowgrid.v1.workflow_pb2, scheduler_pb2, scheduler_pb2_grpc,
cluster_pb2 and cluster_pb2_grpc.
"""

from flowgrid.client import Client
from flowgrid.errors import Error
from flowgrid.results import Diagnostic, NodeError, NodeRun, Run, RunPage, Validation, Worker
from flowgrid.retry import RetryPolicy
from flowgrid.values import from_value, from_value_map, to_value
from flowgrid.workflows import load_workflow

__all__ = [
    "Client", "Error", "RetryPolicy", "Run", "NodeRun", "NodeError", "RunPage", "Validation",
    "Diagnostic", "Worker", "to_value", "from_value", "from_value_map", "load_workflow",
]
