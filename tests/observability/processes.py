"""Child processes a test starts, all stopped on every way out of the test.

Each child gets PR_SET_PDEATHSIG(SIGTERM), so it stops even if the test is
killed outright; stopping sends SIGTERM (newest child first) and SIGKILLs
whatever outlives the grace period. Output goes to one log file per child.
"""

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


def _stop_with_parent():
    # Between fork and exec of the child: SIGTERM when the test dies.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def exit_on_sigterm():
    """SIGTERM (ctest's timeout) unwinds the test, so its children are stopped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))


class Child:
    def __init__(self, name, argv, log_path):
        self.name = name
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                          stderr=subprocess.STDOUT, preexec_fn=_stop_with_parent)

    def exited(self):
        return self.popen.poll() is not None

    def log_tail(self, lines=30):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return "".join(f.readlines()[-lines:])


class Children:
    """The processes of one test, stopped by stop_all()."""

    def __init__(self, log_dir, grace_seconds=10):
        self.log_dir = log_dir
        self.grace_seconds = grace_seconds
        self.children = []

    def start(self, name, argv):
        child = Child(name, argv, os.path.join(self.log_dir, f"{name}.log"))
        self.children.append(child)
        return child

    def stop_all(self):
        children = list(reversed(self.children))
        for child in children:
            if not child.exited():
                child.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in children:
            try:
                child.popen.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.popen.kill()
                child.popen.wait()

    def logs(self):
        """The last lines of every child's log, for a failure message."""
        return "\n".join(f"--- {c.name} ({c.log_path}):\n{c.log_tail()}" for c in self.children)

    @contextlib.contextmanager
    def logs_on_error(self):
        """An exception inside gains the children's logs."""
        try:
            yield
        except Exception as e:
            raise RuntimeError(f"{e}\n{self.logs()}") from e


def children_of_test_class(test_class, prefix):
    """(work directory, Children) for a unittest class's setUpClass: both
    go when the class is done (or its setUpClass fails), children first."""
    work_dir = tempfile.TemporaryDirectory(prefix=prefix)
    test_class.addClassCleanup(work_dir.cleanup)
    children = Children(work_dir.name)
    test_class.addClassCleanup(children.stop_all)
    return work_dir.name, children


def wait_for_json_file(path, keys, child, timeout_seconds):
    """The JSON object `child` writes to `path` once it has every key in
    `keys`; an error if the child exits first or the time runs out."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if child.exited():
            raise RuntimeError(f"{child.name} exited with status {child.popen.returncode} "
                               f"before writing {path}:\n{child.log_tail()}")
        try:
            with open(path, encoding="utf-8") as f:
                ready = json.load(f)
            if all(key in ready for key in keys):
                return ready
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{child.name} wrote no {path} with {keys} within {timeout_seconds} s:\n"
                       f"{child.log_tail()}")
