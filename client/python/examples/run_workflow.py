#!/usr/bin/python3
"""Runs examples/workflows/javascript.json (word statistics in JavaScript)
on a flowgrid scheduler, printing its events as they come and its outputs
as JSON at the end. Exit status 0 when the run succeeded, 1 otherwise.

    PYTHONPATH=build/client/python client/python/examples/run_workflow.py \\
        --addr 127.0.0.1:7070 --text "the quick brown fox"
"""

import argparse
import json
import os
import sys

import flowgrid
from flowgrid.v1 import workflow_pb2

WORKFLOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                        "examples", "workflows", "javascript.json")


def describe(event):
    """One line per event: what happened, to which node."""
    kind = event.WhichOneof("kind")
    if kind == "node_finished":
        result = event.node_finished.result
        status = workflow_pb2.NodeStatus.Name(result.status)
        return f"[{event.node_finished.node_id}] {status} {result.stdout.strip()}".rstrip()
    if kind == "node_started":
        return f"[{event.node_started.node_id}] started"
    return kind


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addr", default=os.environ.get("FLOWGRID_ADDR", "127.0.0.1:7070"),
                        help="the scheduler's client address (default $FLOWGRID_ADDR, "
                             "else 127.0.0.1:7070)")
    parser.add_argument("--text", default="flowgrid runs code nodes in a sandbox")
    args = parser.parse_args()

    with flowgrid.Client(args.addr) as client:
        try:
            run = client.run(WORKFLOW, {"text": args.text},
                             on_event=lambda event: print(describe(event), file=sys.stderr),
                             timeout=60)
        except flowgrid.Error as e:
            print(f"run_workflow: {e}", file=sys.stderr)
            return 2
    print(json.dumps({"run_id": run.run_id, "status": run.status, "outputs": run.outputs},
                     sort_keys=True))
    if not run.succeeded:
        print(f"run_workflow: {run.failed_node_id}: {run.error}", file=sys.stderr)
    return 0 if run.succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
