"""A flowgrid scheduler and workers on loopback with their metrics endpoints
on, and runs submitted to it with flowgridctl."""

import concurrent.futures
import os
import subprocess
import time

from exposition import scrape
from processes import wait_for_json_file

READY_SECONDS = 30


class Cluster:
    """Starts (into `children`) a scheduler and `workers` workers, each
    serving /metrics on a loopback port the kernel picks; returns once
    every worker is connected."""

    def __init__(self, children, work_dir, scheduler_bin, worker_bin, workers, slots=2,
                 uid_range_start=400000):
        scheduler_ready = os.path.join(work_dir, "scheduler.ready.json")
        scheduler = children.start("scheduler", [
            scheduler_bin, "--client_addr=127.0.0.1:0", "--worker_addr=127.0.0.1:0",
            "--metrics_addr=127.0.0.1:0", "--data_dir=" + os.path.join(work_dir, "store"),
            "--ready_file=" + scheduler_ready])
        ready = wait_for_json_file(scheduler_ready, ["client_addr", "worker_addr", "metrics_addr"],
                                   scheduler, READY_SECONDS)
        self.client_addr = ready["client_addr"]
        self.scheduler_metrics = ready["metrics_addr"]

        # Job uids of their own, apart from other tests' clusters on this host
        # (each suite using this class passes a range start of its own).
        uid_base = uid_range_start + (os.getpid() % 1000) * workers * 1024
        self.worker_metrics = []
        for i in range(workers):
            worker_ready = os.path.join(work_dir, f"worker-{i}.ready.json")
            worker = children.start(f"worker-{i}", [
                worker_bin, "--scheduler=" + ready["worker_addr"], f"--slots={slots}",
                f"--worker_id=observability-{os.getpid()}-{i}",
                f"--sandbox_uid_base={uid_base + i * 1024}", "--drain_grace=2s",
                "--metrics_addr=127.0.0.1:0", "--health_addr=127.0.0.1:0",
                "--ready_file=" + worker_ready])
            self.worker_metrics.append(wait_for_json_file(
                worker_ready, ["metrics_addr", "health_addr"], worker, READY_SECONDS)["metrics_addr"])
        self._wait_for_workers(workers)

    def _wait_for_workers(self, count):
        deadline = time.monotonic() + READY_SECONDS
        while scrape(self.scheduler_metrics).value("flowgrid_workers_connected") != count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not connect within {READY_SECONDS} s")
            time.sleep(0.1)


def run_workflows(flowgridctl, client_addr, runs, parallel=6, timeout_seconds=60):
    """Runs each (workflow file, [NAME=VALUE inputs]) with `flowgridctl run`,
    `parallel` at a time; returns their exit statuses in order (0: the run
    succeeded)."""
    def run(workflow):
        path, inputs = workflow
        argv = [flowgridctl, "run", path, "--addr=" + client_addr, "--quiet", "--timeout=30s"]
        argv += ["--input=" + i for i in inputs]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout_seconds).returncode
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(run, runs))
