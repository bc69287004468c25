#!/usr/bin/python3
"""Runs examples/workflows/javascript.json (word statistics in JavaScript)
on a flowgrid scheduler, printing its events as they come and its outputs
as JSON at the end. Exit status 0 when the run succeeded, 1 otherwise.

    PYTHONPATH=build/client/python client/python/examples/run_workflow.py \\
        --addr 127.0.0.1:7070 --tls_ca .flowgrid-dev/tls/ca.pem \\
        --api_key_file .flowgrid-dev/dev.key --text "the quick brown fox"

Without those flags the address, CA and key come from FLOWGRID_ADDR,
FLOWGRID_TLS_CA and FLOWGRID_API_KEY / FLOWGRID_API_KEY_FILE, as
`flowgridctl dev` prints them.
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
    parser.add_argument("--addr", help="the scheduler's client address (default "
                                       "$FLOWGRID_ADDR, else 127.0.0.1:7070)")
    parser.add_argument("--tls_ca", help="PEM CA file verifying the scheduler: TLS on "
                                         "(default $FLOWGRID_TLS_CA; empty: plaintext)")
    parser.add_argument("--tls_server_name", help="the name in the scheduler's certificate")
    parser.add_argument("--api_key_file", help="file holding the API key (default "
                                               "$FLOWGRID_API_KEY, else $FLOWGRID_API_KEY_FILE)")
    parser.add_argument("--text", default="flowgrid runs code nodes in a sandbox")
    args = parser.parse_args()

    try:
        client = flowgrid.Client(args.addr, tls_ca=args.tls_ca,
                                 tls_server_name=args.tls_server_name,
                                 api_key_file=args.api_key_file)
    except flowgrid.Error as e:
        print(f"run_workflow: {e}", file=sys.stderr)
        return 2
    with client:
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
