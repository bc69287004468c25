"""A real Prometheus server (Debian's `prometheus`) started for a test,
scraping given targets every second and evaluating given rule files, on a
free loopback port, with its storage in the test's directory."""

import json
import math
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

START_ATTEMPTS = 5
READY_SECONDS = 30


def _free_loopback_port():
    # Prometheus cannot listen on port 0, so a port is picked here; another
    # process may take it before Prometheus binds it, hence the retries.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusServer:
    def __init__(self, children, work_dir, binary, scrape_jobs, rule_files):
        """scrape_jobs: {job name: [HOST:PORT, ...]}."""
        config_path = os.path.join(work_dir, "prometheus.yml")
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": rule_files,
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": targets}]}
                               for job, targets in scrape_jobs.items()],
        }
        with open(config_path, "w", encoding="utf-8") as f:
            json.dump(config, f)  # JSON is YAML
        for attempt in range(START_ATTEMPTS):
            self.address = f"127.0.0.1:{_free_loopback_port()}"
            child = children.start(f"prometheus-{attempt}", [
                binary, "--config.file=" + config_path,
                "--storage.tsdb.path=" + os.path.join(work_dir, f"tsdb-{attempt}"),
                "--web.listen-address=" + self.address, "--log.level=warn"])
            if self._wait_ready(child, config_path):
                return
            if "address already in use" not in child.log_tail():
                break
        raise RuntimeError(f"prometheus did not become ready:\n{child.log_tail()}")

    def _wait_ready(self, child, config_path):
        # Whatever answers must be this child: another process may hold the port.
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and not child.exited():
            try:
                flags = self.api("status/flags")
                if flags.get("config.file") == config_path:
                    with urllib.request.urlopen(f"http://{self.address}/-/ready", timeout=2):
                        return True  # 200; urlopen raises on any other status
            except (OSError, ValueError, RuntimeError):  # not (yet) a ready Prometheus
                pass
            time.sleep(0.1)
        return False

    def api(self, path, **params):
        """GET /api/v1/PATH?params; the response's data."""
        url = f"http://{self.address}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=2) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise RuntimeError(f"{url}: {body}")
        return body["data"]

    def query(self, promql):
        """An instant query: [(labels, value)]."""
        data = self.api("query", query=promql)
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def wait_for(self, promql, condition, timeout_seconds):
        """query(promql) once `condition` holds for it; an error naming the
        last result if it does not within the time."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            result = self.query(promql)
            if condition(result):
                return result
            if time.monotonic() > deadline:
                raise RuntimeError(f"{promql} = {result}: not as expected after {timeout_seconds} s")
            time.sleep(0.2)


def single_value(result):
    """The value of a one-series result, NaN when there is not exactly one."""
    return result[0][1] if len(result) == 1 else math.nan
