"""The Python client against a real local cluster: `flowgridctl dev` (a
scheduler and one worker on 127.0.0.1, ports picked by the kernel, read
from the scheduler's ready file) runs workflows with Python and JavaScript
code nodes, a failing node, an invalid workflow and a cancelled run; the
example program runs against it too. The cluster is stopped on every way
out, a ctest timeout (SIGTERM) included, and its children get SIGTERM if
this process dies outright.

usage: cluster_test.py FLOWGRIDCTL SCHEDULER WORKER SOURCE_DIR
"""

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

import flowgrid

READY_SECONDS = 30
STOP_SECONDS = 40  # flowgridctl dev: workers, then the scheduler, 10 s grace each
WATCH_SECONDS = 60
_PR_SET_PDEATHSIG = 1


def _stop_with_parent():
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DevCluster:
    """`flowgridctl dev` in `work_dir`, its output in dev.log."""

    def __init__(self, flowgridctl, scheduler, worker, work_dir):
        data_dir = os.path.join(work_dir, "data")
        self.log_path = os.path.join(work_dir, "dev.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [flowgridctl, "dev", "--data", data_dir, "--client_addr", "127.0.0.1:0",
                 "--worker_addr", "127.0.0.1:0", "--scheduler_bin", scheduler,
                 "--worker_bin", worker, "--workers", "1", "--slots", "2",
                 # A worker id (it names the slot cgroups) and job uids of
                 # their own, apart from other clusters on this host.
                 f"--worker_arg=--worker_id=python-client-{os.getpid()}",
                 f"--worker_arg=--sandbox_uid_base={500000 + (os.getpid() % 1000) * 1024}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=_stop_with_parent)
        try:
            self.address = self._wait_for_address(os.path.join(data_dir, "scheduler.ready.json"))
        except BaseException:
            self.stop()
            raise

    def _wait_for_address(self, ready_file):
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"flowgridctl dev exited with status "
                                   f"{self.process.returncode}:\n{self.log_tail()}")
            try:
                with open(ready_file, encoding="utf-8") as f:
                    return json.load(f)["client_addr"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                time.sleep(0.05)
        raise RuntimeError(f"no {ready_file} within {READY_SECONDS} s:\n{self.log_tail()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines=40):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])


def code_node(node_id, language, code, inputs, outputs, **extra):
    return dict({"id": node_id, "code": {
        "language": language, "code": code,
        "inputs": [{"name": name, "selector": selector} for name, selector in inputs.items()],
        "outputs": {name: {"kind": kind} for name, kind in outputs.items()}}}, **extra)


def workflow(name, start_variables, nodes, end_outputs):
    """start -> nodes (in a chain) -> end."""
    ids = ["start"] + [n["id"] for n in nodes] + ["end"]
    return {
        "name": name,
        "nodes": [{"id": "start", "start": {"variables": [
                      {"name": v, "type": {"kind": kind}, "required": True}
                      for v, kind in start_variables.items()]}}]
                 + nodes
                 + [{"id": "end", "end": {"outputs": [
                       {"name": name, "selector": selector}
                       for name, selector in end_outputs.items()]}}],
        "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:])],
    }


MIXED = workflow(
    "python-and-javascript", {"text": "STRING", "n": "NUMBER"},
    [code_node("words", "PYTHON3",
               "def main(text: str, n: int) -> dict:\n"
               "    print('splitting', len(text), 'characters')\n"
               "    words = text.split()\n"
               "    return {'words': words, 'meta': {'n': n, 'big': 2**62, 'ok': True}}\n",
               {"text": ["start", "text"], "n": ["start", "n"]},
               {"words": "ARRAY_STRING", "meta": "OBJECT"}),
     code_node("join", "JAVASCRIPT",
               "function main({ words, meta }) {\n"
               "  return { joined: words.join('-'), half: meta.n / 2, nothing: null };\n"
               "}\n",
               {"words": ["words", "words"], "meta": ["words", "meta"]},
               {"joined": "STRING", "half": "NUMBER", "nothing": "ANY"})],
    {"words": ["words", "words"], "meta": ["words", "meta"], "joined": ["join", "joined"],
     "half": ["join", "half"], "nothing": ["join", "nothing"]})

RAISES = workflow(
    "raises", {"x": "STRING"},
    [code_node("boom", "PYTHON3",
               "def main(x: str) -> dict:\n"
               "    raise ValueError('no ' + x)\n",
               {"x": ["start", "x"]}, {"y": "STRING"})],
    {"y": ["boom", "y"]})

SLEEPS = workflow(
    "sleeps", {},
    [code_node("nap", "PYTHON3",
               "import time\n\ndef main() -> dict:\n    time.sleep(60)\n    return {}\n",
               {}, {}, limits={"timeout_ms": 120000})],
    {})

# Two problems: an input read from a node that does not exist, an output
# that the node does not declare.
INVALID = workflow(
    "invalid", {},
    [code_node("js", "JAVASCRIPT", "function main({ a }) { return { y: a }; }\n",
               {"a": ["ghost", "a"]}, {"y": "STRING"})],
    {"x": ["js", "nope"]})


class ClusterTest(unittest.TestCase):
    address = source_dir = None

    def setUp(self):
        self.client = flowgrid.Client(self.address, timeout=30)
        self.addCleanup(self.client.close)

    def test_python_and_javascript_nodes(self):
        events = []
        run = self.client.run(MIXED, {"text": "to be or not", "n": 7}, on_event=events.append,
                              timeout=WATCH_SECONDS)
        self.assertEqual(run.status, "SUCCEEDED", run)
        self.assertEqual(run.outputs, {
            "words": ["to", "be", "or", "not"], "meta": {"n": 7, "big": 2**62, "ok": True},
            "joined": "to-be-or-not", "half": 3.5, "nothing": None})
        self.assertIsNone(run.error)
        self.assertEqual(run.node("words").stdout, "splitting 12 characters\n")
        self.assertEqual(run.node("join").inputs["words"], ["to", "be", "or", "not"])
        self.assertEqual([n.status for n in run.nodes], ["SUCCEEDED"] * 4)

        self.assertEqual([e.sequence for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(events[0].WhichOneof("kind"), "run_started")
        self.assertEqual(events[-1].WhichOneof("kind"), "run_finished")
        finished = [e.node_finished.node_id for e in events if e.HasField("node_finished")]
        self.assertEqual(finished, ["start", "words", "join", "end"])
        # Watching again after a sequence gives the same events after it.
        again = list(self.client.watch(run.run_id, after_sequence=3, timeout=WATCH_SECONDS))
        self.assertEqual(again, events[3:])

    def test_a_failing_node_is_in_the_result(self):
        run = self.client.run(RAISES, {"x": "luck"}, timeout=WATCH_SECONDS)
        self.assertEqual(run.status, "FAILED")
        self.assertFalse(run.succeeded)
        self.assertEqual(run.failed_node_id, "boom")
        self.assertEqual(run.error.code, "RUNTIME_ERROR")
        boom = run.node("boom")
        self.assertEqual(boom.status, "FAILED")
        self.assertIn("no luck", boom.error.message)
        self.assertIn("ValueError: no luck", boom.error.traceback)

    def test_an_invalid_workflow_is_reported_whole(self):
        validation = self.client.validate(INVALID)
        self.assertFalse(validation.valid)
        self.assertEqual([(d.node_id, d.field) for d in validation.diagnostics],
                         [("js", "code.inputs[0].selector"), ("end", "end.outputs[0].selector")])
        with self.assertRaises(flowgrid.Error) as rejected:
            self.client.submit(INVALID)
        self.assertEqual(rejected.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        # One line per diagnostic after the summary.
        lines = rejected.exception.message.splitlines()
        self.assertEqual(len(lines), 3, rejected.exception.message)
        for diagnostic, line in zip(validation.diagnostics, lines[1:]):
            self.assertIn(diagnostic.message, line)
        with self.assertRaises(flowgrid.Error) as bad_input:
            self.client.submit(RAISES, {})
        self.assertEqual(bad_input.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("x", bad_input.exception.message)

    def test_cancel(self):
        run_id = self.client.submit(SLEEPS, idempotency_key=f"cancel-{os.getpid()}")
        self.assertEqual(self.client.submit(SLEEPS, idempotency_key=f"cancel-{os.getpid()}"),
                         run_id)
        last = 0
        for event in self.client.watch(run_id, timeout=WATCH_SECONDS):
            last = event.sequence
            if event.HasField("node_started") and event.node_started.node_id == "nap":
                break
        self.assertGreater(last, 0)
        self.client.cancel(run_id)
        finished = list(self.client.watch(run_id, after_sequence=last, timeout=WATCH_SECONDS))
        self.assertEqual(finished[-1].WhichOneof("kind"), "run_finished")
        run = self.client.get(run_id)
        self.assertEqual(run.status, "CANCELLED")
        self.assertIn(run_id, [r.run_id for r in self.client.list(status="CANCELLED").runs])
        with self.assertRaises(flowgrid.Error) as again:
            self.client.cancel(run_id)
        self.assertEqual(again.exception.code, grpc.StatusCode.FAILED_PRECONDITION)

    def test_an_unknown_run_is_not_found(self):
        with self.assertRaises(flowgrid.Error) as unknown:
            self.client.get("no-such-run")
        self.assertEqual(unknown.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_example_program(self):
        example = os.path.join(self.source_dir, "client", "python", "examples", "run_workflow.py")
        done = subprocess.run([sys.executable, example, "--addr", self.address, "--text", "a bb"],
                              capture_output=True, text=True, timeout=WATCH_SECONDS)
        self.assertEqual(done.returncode, 0, done.stderr)
        printed = json.loads(done.stdout)
        self.assertEqual(printed["status"], "SUCCEEDED")
        self.assertEqual(printed["outputs"], {"word_count": 2, "longest": "bb",
                                              "shouted": "A BB", "lengths": [1, 2]})
        self.assertIn("[stats] NODE_SUCCEEDED counted 2 words", done.stderr)


def main():
    flowgridctl, scheduler, worker, ClusterTest.source_dir = sys.argv[1:5]
    work_dir = tempfile.TemporaryDirectory(prefix="flowgrid-python-client-")
    cluster = None

    def stop_and_clean_up(failed):
        if cluster is not None:
            cluster.stop()
            if failed:
                print(f"--- flowgridctl dev:\n{cluster.log_tail()}", file=sys.stderr)
        work_dir.cleanup()

    def on_sigterm(*_):  # ctest's timeout: unittest would catch a SystemExit
        stop_and_clean_up(failed=True)
        os._exit(1)

    signal.signal(signal.SIGTERM, on_sigterm)
    succeeded = False
    try:
        cluster = DevCluster(flowgridctl, scheduler, worker, work_dir.name)
        ClusterTest.address = cluster.address
        succeeded = unittest.main(argv=sys.argv[:1], exit=False).result.wasSuccessful()
    finally:
        stop_and_clean_up(failed=not succeeded)
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
