"""A workflow as the scheduler takes it (flowgrid.v1.Workflow) from what a
caller has at hand: the message itself, a dict in flowgrid's JSON form
(protobuf's JSON mapping of workflow.proto, as in examples/workflows/), or
the path of such a .json file."""

import json
import os

from google.protobuf import json_format

from flowgrid.v1 import workflow_pb2


def load_workflow(workflow):
    """flowgrid.v1.Workflow for a message, a JSON-form dict or a file path.
    A file that cannot be read or parsed, or JSON that is not a workflow, is
    a ValueError (OSError for an unreadable file) naming the file."""
    if isinstance(workflow, workflow_pb2.Workflow):
        return workflow
    if isinstance(workflow, dict):
        return _parse(workflow, "workflow dict")
    if isinstance(workflow, (str, os.PathLike)):
        with open(workflow, encoding="utf-8") as f:
            try:
                document = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"workflow file {os.fspath(workflow)}: not JSON: {e}") from e
        return _parse(document, f"workflow file {os.fspath(workflow)}")
    raise TypeError(f"a workflow is a flowgrid.v1.Workflow, a dict or a file path, "
                    f"not a {type(workflow).__name__}")


def _parse(document, what):
    try:
        return json_format.ParseDict(document, workflow_pb2.Workflow())
    except json_format.ParseError as e:
        raise ValueError(f"{what}: not a flowgrid workflow: {e}") from e
