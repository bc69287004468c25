"""The Python client against a real local cluster: `flowgridctl dev` (a
scheduler and one worker on 127.0.0.1, ports picked by the kernel; TLS on
both ports, the worker authenticated by its client certificate, one API
key; the address, CA and key file read from the export lines dev prints)
runs workflows with Python and JavaScript code nodes, a failing node, an
invalid workflow and a cancelled run, runs single nodes and lists its
workers; a missing or wrong key is UNAUTHENTICATED and a plaintext client
gets nowhere; the example program and `flowgridctl run` run against it too,
told by flags or by the environment. The cluster is stopped on every way
out (local_cluster.run_tests).

usage: cluster_test.py FLOWGRIDCTL SCHEDULER WORKER SOURCE_DIR
"""

import json
import os
import subprocess
import sys
import unittest

import grpc

import flowgrid
from local_cluster import Child, run_tests, worker_args
from workflow_builders import code_node, workflow

WATCH_SECONDS = 60


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
    address = tls_ca = api_key_file = source_dir = flowgridctl = None

    def setUp(self):
        self.client = flowgrid.Client(self.address, tls_ca=self.tls_ca,
                                      api_key_file=self.api_key_file, timeout=30)
        self.addCleanup(self.client.close)

    def assert_unauthenticated(self, **credentials):
        with flowgrid.Client(self.address, tls_ca=self.tls_ca, timeout=10,
                             **credentials) as client:
            for call in (client.list, client.list_workers,
                         lambda: client.submit(RAISES, {"x": "y"}),
                         lambda: next(client.watch("any-run", timeout=10))):
                with self.assertRaises(flowgrid.Error) as refused:
                    call()
                self.assertEqual(refused.exception.code, grpc.StatusCode.UNAUTHENTICATED,
                                 refused.exception)
        return refused.exception

    def test_a_missing_key_is_unauthenticated(self):
        self.assert_unauthenticated(api_key="")

    def test_a_wrong_key_is_unauthenticated_and_not_echoed(self):
        wrong = "wrong-key-" + os.urandom(8).hex()
        refused = self.assert_unauthenticated(api_key=wrong)
        self.assertNotIn(wrong, refused.message)

    def test_a_plaintext_client_gets_nowhere(self):
        with flowgrid.Client(self.address, tls_ca="", api_key_file=self.api_key_file, timeout=3,
                             retries=1) as client:
            with self.assertRaises(flowgrid.Error) as refused:
                client.list()
        self.assertEqual(refused.exception.code, grpc.StatusCode.UNAVAILABLE)

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

    def test_run_node(self):
        words = self.client.run_node(MIXED, "words", {"text": "a b", "n": 1})
        self.assertEqual((words.node_id, words.status), ("words", "SUCCEEDED"))
        self.assertEqual(words.outputs, {"words": ["a", "b"],
                                         "meta": {"n": 1, "big": 2**62, "ok": True}})
        self.assertEqual(words.stdout, "splitting 3 characters\n")
        boom = self.client.run_node(RAISES, "boom", {"x": "time"})
        self.assertEqual((boom.status, boom.error.code), ("FAILED", "RUNTIME_ERROR"))
        self.assertIn("ValueError: no time", boom.error.traceback)
        if_else = os.path.join(self.source_dir, "examples", "workflows", "if_else.json")
        grade = self.client.run_node(if_else, "grade", {"start.score": 70, "start.tag": "x"})
        self.assertEqual((grade.status, grade.branch), ("SUCCEEDED", "pass"))

    def test_workers(self):
        workers = self.client.list_workers()
        self.assertEqual([w.worker_id for w in workers], [f"python-client-{os.getpid()}"])
        self.assertEqual((workers[0].state, workers[0].slots), ("CONNECTED", 2))
        self.assertEqual(sorted(workers[0].runtimes), ["JAVASCRIPT", "PYTHON3"])
        with self.assertRaises(flowgrid.Error) as unknown:
            self.client.drain_worker("no-such-worker")
        self.assertEqual(unknown.exception.code, grpc.StatusCode.NOT_FOUND)

    def test_flowgridctl_with_the_printed_exports_or_flags(self):
        hello = os.path.join(self.source_dir, "examples", "workflows", "hello.json")

        def flowgridctl(*args, **env):
            return subprocess.run([self.flowgridctl, "run", hello, "--input", "name=TLS", *args],
                                  capture_output=True, text=True, timeout=WATCH_SECONDS,
                                  env={**os.environ, **env})

        exported = flowgridctl(FLOWGRID_ADDR=self.address, FLOWGRID_TLS_CA=self.tls_ca,
                               FLOWGRID_API_KEY_FILE=self.api_key_file)
        flags = flowgridctl("--addr", self.address, "--tls_ca", self.tls_ca, "--api_key_file",
                            self.api_key_file)
        for done in (exported, flags):
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertRegex(done.stdout, r'^greeting +"Hello, TLS!"\n$')
        no_key = flowgridctl("--addr", self.address, "--tls_ca", self.tls_ca)
        self.assertEqual(no_key.returncode, 2, no_key.stdout)
        self.assertIn("give an API key the scheduler knows", no_key.stderr)
        plaintext = flowgridctl("--addr", self.address, "--api_key_file", self.api_key_file)
        self.assertEqual(plaintext.returncode, 2, plaintext.stdout)
        self.assertIn("a scheduler serving TLS needs --tls_ca", plaintext.stderr)

    def run_example(self, flags, env):
        example = os.path.join(self.source_dir, "client", "python", "examples", "run_workflow.py")
        return subprocess.run([sys.executable, example, *flags, "--text", "a bb"],
                              capture_output=True, text=True, timeout=WATCH_SECONDS,
                              env={**os.environ, **env})

    def test_example_program(self):
        by_flags = self.run_example(["--addr", self.address, "--tls_ca", self.tls_ca,
                                     "--api_key_file", self.api_key_file], {})
        by_environment = self.run_example([], {"FLOWGRID_ADDR": self.address,
                                               "FLOWGRID_TLS_CA": self.tls_ca,
                                               "FLOWGRID_API_KEY_FILE": self.api_key_file})
        for done in (by_flags, by_environment):
            self.assertEqual(done.returncode, 0, done.stderr)
            printed = json.loads(done.stdout)
            self.assertEqual(printed["status"], "SUCCEEDED")
            self.assertEqual(printed["outputs"], {"word_count": 2, "longest": "bb",
                                                  "shouted": "A BB", "lengths": [1, 2]})
            self.assertIn("[stats] NODE_SUCCEEDED counted 2 words", done.stderr)

        no_key = self.run_example(["--addr", self.address, "--tls_ca", self.tls_ca], {})
        self.assertEqual(no_key.returncode, 2, no_key.stdout)
        self.assertIn("UNAUTHENTICATED", no_key.stderr)


def main():
    ClusterTest.flowgridctl, scheduler, worker, ClusterTest.source_dir = sys.argv[1:5]

    def start(work_dir, children):
        data_dir = os.path.join(work_dir, "data")
        # flowgridctl dev stops the workers, then the scheduler, 10 s grace each.
        dev = Child("flowgridctl-dev", [
            ClusterTest.flowgridctl, "dev", "--data", data_dir, "--client_addr", "127.0.0.1:0",
            "--worker_addr", "127.0.0.1:0", "--scheduler_bin", scheduler, "--worker_bin", worker,
            "--workers", "1", "--slots", "2"] + ["--worker_arg=" + a for a in worker_args()],
            work_dir, grace_seconds=40)
        children.append(dev)
        exports = dev.read_exports("FLOWGRID_API_KEY_FILE")
        ClusterTest.address = exports["FLOWGRID_ADDR"]
        ClusterTest.tls_ca = exports["FLOWGRID_TLS_CA"]
        ClusterTest.api_key_file = exports["FLOWGRID_API_KEY_FILE"]

    return run_tests(start)


if __name__ == "__main__":
    sys.exit(main())
