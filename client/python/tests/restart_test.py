"""watch() across a scheduler restart: a scheduler and a worker started
directly on loopback; while a run's code node runs, the scheduler is killed
(SIGKILL) and started again on the same ports and store. The watch
re-attaches by itself and yields every event once, in order, through
run_resumed to run_finished, and the run succeeds.

usage: restart_test.py SCHEDULER WORKER
"""

import os
import signal
import sys
import unittest

import flowgrid
from local_cluster import Child, run_tests, worker_args
from workflow_builders import code_node, workflow

WATCH_SECONDS = 90

NAP = workflow(
    "nap", {},
    [code_node("nap", "PYTHON3",
               "import time\n\ndef main() -> dict:\n    time.sleep(2)\n    return {'done': True}\n",
               {}, {"done": "BOOLEAN"})],
    {"done": ["nap", "done"]})


class SchedulerAndWorker:
    """A scheduler (store in <work_dir>/store) and one worker."""

    def __init__(self, scheduler_bin, worker_bin, work_dir, children):
        self.scheduler_bin = scheduler_bin
        self.work_dir = work_dir
        self.children = children
        self.starts = 0
        self._start_scheduler("127.0.0.1:0", "127.0.0.1:0")
        children.append(Child("worker", [
            worker_bin, "--scheduler=" + self.worker_addr, "--slots=2", "--drain_grace=2s"]
            + worker_args(), work_dir))

    def _start_scheduler(self, client_addr, worker_addr):
        self.starts += 1
        ready_file = os.path.join(self.work_dir, f"scheduler-{self.starts}.ready.json")
        self.scheduler = Child(f"scheduler-{self.starts}", [
            self.scheduler_bin, "--client_addr=" + client_addr, "--worker_addr=" + worker_addr,
            "--data_dir=" + os.path.join(self.work_dir, "store"), "--ready_file=" + ready_file],
            self.work_dir)
        # First in the list: stopped after the worker, which drains to it.
        self.children.insert(0, self.scheduler)
        ready = self.scheduler.read_json_file(ready_file, "worker_addr")
        self.client_addr, self.worker_addr = ready["client_addr"], ready["worker_addr"]

    def restart_scheduler(self):
        """Kills the scheduler and starts another on the same ports and store."""
        self.scheduler.stop(signal.SIGKILL)
        self._start_scheduler(self.client_addr, self.worker_addr)


class RestartTest(unittest.TestCase):
    cluster = None

    def test_watch_reattaches_across_a_scheduler_restart(self):
        with flowgrid.Client(self.cluster.client_addr, timeout=30) as client:
            run_id = client.submit(NAP)
            events, restarted = [], False
            for event in client.watch(run_id, timeout=WATCH_SECONDS):
                events.append(event)
                if (not restarted and event.HasField("node_started")
                        and event.node_started.node_id == "nap"):
                    self.cluster.restart_scheduler()
                    restarted = True
            self.assertTrue(restarted)
            self.assertEqual([e.sequence for e in events], list(range(1, len(events) + 1)))
            kinds = [e.WhichOneof("kind") for e in events]
            self.assertIn("run_resumed", kinds)
            self.assertEqual(kinds[-1], "run_finished")
            run = client.get(run_id)
        self.assertEqual(run.status, "SUCCEEDED", run)
        self.assertEqual(run.outputs, {"done": True})


def main():
    scheduler, worker = sys.argv[1:3]

    def start(work_dir, children):
        RestartTest.cluster = SchedulerAndWorker(scheduler, worker, work_dir, children)

    return run_tests(start)


if __name__ == "__main__":
    sys.exit(main())
