"""Real flowgrid processes on loopback for the client tests, stopped on
every way out: each child gets PR_SET_PDEATHSIG(SIGTERM) (it stops if the
test dies outright), run_tests() stops them after the tests and on
ctest's timeout (SIGTERM)."""

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

READY_SECONDS = 30
_PR_SET_PDEATHSIG = 1


def _stop_with_parent():
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """A process started now, its output in <log_dir>/<name>.log; stopping
    it waits `grace_seconds` before SIGKILL."""

    def __init__(self, name, argv, log_dir, grace_seconds=10):
        self.name = name
        self.grace_seconds = grace_seconds
        self.log_path = os.path.join(log_dir, f"{name}.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT,
                                            preexec_fn=_stop_with_parent)

    def stop(self, sig=signal.SIGTERM):
        """`sig`, then SIGKILL after the grace period; returns once it is gone."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(self.grace_seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self, lines=40):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f"--- {self.name} ({self.log_path}):\n" + "".join(f.readlines()[-lines:])

    def read_exports(self, last_name):
        """The `export NAME=VALUE` lines this child prints (as `flowgridctl
        dev` does) as a dict, once the one of `last_name` is there; an error
        if the child exits first or takes over READY_SECONDS."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode} "
                                   f"before printing {last_name}:\n{self.log_tail()}")
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                exports = dict(line[len("export "):].rstrip("\n").split("=", 1)
                               for line in f if line.startswith("export ") and "=" in line)
            if last_name in exports:
                return exports
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} printed no {last_name} within {READY_SECONDS} s:\n"
                           f"{self.log_tail()}")

    def read_json_file(self, path, key):
        """The JSON object this child writes to `path` once it holds `key`;
        an error if the child exits first or takes over READY_SECONDS."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with status {self.process.returncode} "
                                   f"before writing {path}:\n{self.log_tail()}")
            try:
                with open(path, encoding="utf-8") as f:
                    ready = json.load(f)
                if key in ready:
                    return ready
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"no {key} in {path} within {READY_SECONDS} s:\n{self.log_tail()}")


def worker_args():
    """A worker id (it names the slot cgroups) and job uids of this test's
    own, apart from other clusters on this host: from 8000000, above the
    other tests' ranges (e2e 60000, chaos 200000, observability 400000,
    Node client 4000000; 1024 uids per worker, offset by the pid)."""
    return [f"--worker_id=python-client-{os.getpid()}",
            f"--sandbox_uid_base={8000000 + (os.getpid() % 1000) * 1024}"]


def run_tests(start):
    """Runs the unittest tests of __main__ after `start(work_dir, children)`,
    which starts the processes they need, appending each Child to
    `children` as soon as it runs. Stops them all, newest first, after the
    tests, on a failure to start and on SIGTERM; prints their logs when
    anything failed. Returns the exit status."""
    work_dir = tempfile.TemporaryDirectory(prefix="flowgrid-python-client-")
    children = []

    def stop_and_clean_up(failed):
        for child in reversed(children):
            child.stop()
        if failed:
            for child in children:
                print(child.log_tail(), file=sys.stderr)
        work_dir.cleanup()

    def on_sigterm(*_):  # ctest's timeout: unittest would catch a SystemExit
        stop_and_clean_up(failed=True)
        os._exit(1)

    signal.signal(signal.SIGTERM, on_sigterm)
    succeeded = False
    try:
        start(work_dir.name, children)
        succeeded = unittest.main(argv=sys.argv[:1], exit=False).result.wasSuccessful()
    finally:
        stop_and_clean_up(failed=not succeeded)
    return 0 if succeeded else 1
