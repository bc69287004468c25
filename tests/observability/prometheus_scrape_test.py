"""A real Prometheus scraping a real cluster: a scheduler and 2 workers with
--metrics_addr on loopback run 30 workflows (Python, JavaScript, one whose
code raises) while Prometheus scrapes them every second with
flowgrid-rules.yml loaded; then its HTTP API is asked for the key series.

usage: prometheus_scrape_test.py SCHEDULER WORKER FLOWGRIDCTL PROMETHEUS SOURCE_DIR
"""

import math
import os
import sys
import unittest

from cluster import Cluster, run_workflows
from processes import children_of_test_class, exit_on_sigterm
from prometheus_server import PrometheusServer, single_value
from rules_file import Rules

WORKERS = 2
SLOTS = 2  # per worker
PYTHON_RUNS = 27
JAVASCRIPT_RUNS = 2  # and one Python run whose code raises: 30 runs
SECONDS = 20  # for Prometheus to see something it should


class PrometheusScrapeTest(unittest.TestCase):
    scheduler_bin = worker_bin = flowgridctl = prometheus_bin = source_dir = None

    @classmethod
    def setUpClass(cls):
        work_dir, children = children_of_test_class(cls, "flowgrid-prometheus-")
        cls.rules_path = os.path.join(cls.source_dir, "deploy", "prometheus", "flowgrid-rules.yml")
        with children.logs_on_error():
            cluster = Cluster(children, work_dir, cls.scheduler_bin, cls.worker_bin, WORKERS,
                              SLOTS)
            cls.prometheus = PrometheusServer(children, work_dir, cls.prometheus_bin, {
                "flowgrid-scheduler": [cluster.scheduler_metrics],
                "flowgrid-worker": cluster.worker_metrics,
            }, [cls.rules_path])
            cls.prometheus.wait_for("up == 1", lambda r: len(r) == 1 + WORKERS, SECONDS)

            examples = os.path.join(cls.source_dir, "examples", "workflows")
            runs = [(os.path.join(examples, "hello.json"), [f"name=run{i}"])
                    for i in range(PYTHON_RUNS)]
            runs += [(os.path.join(examples, "javascript.json"), [f"text=run {i}"])
                     for i in range(JAVASCRIPT_RUNS)]
            runs.append((os.path.join(cls.source_dir, "tests", "e2e", "data", "raises.json"),
                         ["x=2"]))
            cls.statuses = run_workflows(cls.flowgridctl, cluster.client_addr, runs)
            cls.succeeded = cls.statuses.count(0)
            # Until the last runs' metrics are scraped and the rules evaluated them.
            cls.prometheus.wait_for("sum(flowgrid_runs_finished_total)",
                                    lambda r: single_value(r) >= len(runs), SECONDS)
            cls.prometheus.wait_for("sum(flowgrid_worker_jobs_total)",
                                    lambda r: single_value(r) >= len(runs), SECONDS)
            cls.prometheus.wait_for('flowgrid:runs_finished:rate5m{status="succeeded"}',
                                    lambda r: single_value(r) > 0, SECONDS)

    def value(self, promql):
        return single_value(self.prometheus.query(promql))

    def test_the_workload_ran_as_expected(self):
        self.assertEqual([0] * (PYTHON_RUNS + JAVASCRIPT_RUNS) + [1], [
            min(status, 1) for status in self.statuses])

    def test_every_target_is_up(self):
        up = self.prometheus.query("up")
        self.assertEqual(sorted(["flowgrid-scheduler"] + ["flowgrid-worker"] * WORKERS),
                         sorted(labels["job"] for labels, _ in up))
        self.assertEqual([1.0] * (1 + WORKERS), [value for _, value in up])

    def test_finished_runs_are_counted_by_status(self):
        self.assertGreaterEqual(
            self.value('sum(flowgrid_runs_finished_total{status="succeeded"})'), self.succeeded)
        self.assertGreaterEqual(self.value('sum(flowgrid_runs_finished_total{status="failed"})'), 1)
        self.assertEqual(self.value("sum(flowgrid_runs_submitted_total)"),
                         self.value("sum(flowgrid_runs_finished_total)"))

    def test_jobs_are_counted_by_verdict_and_language(self):
        jobs = {(labels["language"], labels["verdict"]): value for labels, value in
                self.prometheus.query("sum by (language, verdict) (flowgrid_jobs_finished_total)")}
        self.assertGreaterEqual(jobs.get(("python3", "runtime_error"), 0), 1)
        self.assertGreaterEqual(jobs.get(("python3", "ok"), 0), PYTHON_RUNS)
        self.assertGreaterEqual(jobs.get(("javascript", "ok"), 0), JAVASCRIPT_RUNS)
        worker_jobs = self.value('sum(flowgrid_worker_jobs_total{verdict="runtime_error"})')
        self.assertGreaterEqual(worker_jobs, 1)

    def test_workers_and_slots(self):
        self.assertEqual(WORKERS, self.value("sum(flowgrid_workers_connected)"))
        self.assertEqual(0, self.value("sum(flowgrid_workers_draining)"))
        self.assertEqual(WORKERS * SLOTS, self.value("sum(flowgrid_slots)"))
        self.assertEqual(WORKERS, self.value("count(flowgrid_worker_connected == 1)"))

    def test_latency_quantiles_are_finite(self):
        for promql in (
                "histogram_quantile(0.95, sum by (le) (rate(flowgrid_run_duration_seconds_bucket[1m])))",
                'histogram_quantile(0.95, sum by (le) (rate(flowgrid_job_duration_seconds_bucket{language="python3"}[1m])))',
                'histogram_quantile(0.5, sum by (le) (rate(flowgrid_worker_sandbox_setup_seconds_bucket{language="python3"}[1m])))',
                "histogram_quantile(0.99, sum by (le) (rate(flowgrid_store_write_duration_seconds_bucket[1m])))",
                "flowgrid:run_duration_seconds:p95_5m"):
            with self.subTest(promql=promql):
                value = self.value(promql)
                self.assertTrue(math.isfinite(value) and value > 0, value)

    def test_recording_rules_evaluate(self):
        self.assertEqual(0, self.value("flowgrid:queue_depth_per_worker"))
        self.assertGreater(self.value('flowgrid:runs_finished:rate5m{status="succeeded"}'), 0)
        rules = Rules(self.rules_path)
        loaded = [rule for group in self.prometheus.api("rules")["groups"]
                  for rule in group["rules"]]
        self.assertEqual(sorted(list(rules.recordings) + list(rules.alerts)),
                         sorted(rule["name"] for rule in loaded))
        for rule in loaded:
            with self.subTest(rule=rule["name"]):
                self.assertEqual("ok", rule["health"], rule.get("lastError"))

    def test_a_healthy_cluster_raises_no_alert(self):
        self.assertEqual([], self.prometheus.api("alerts")["alerts"])


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    exit_on_sigterm()
    (PrometheusScrapeTest.scheduler_bin, PrometheusScrapeTest.worker_bin,
     PrometheusScrapeTest.flowgridctl, PrometheusScrapeTest.prometheus_bin,
     PrometheusScrapeTest.source_dir) = sys.argv[1:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
