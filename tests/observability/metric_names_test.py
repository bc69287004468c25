"""The metric names the Prometheus rules and the Grafana dashboard use, and
the metrics reference in docs/OPERATIONS.md, against what the real binaries
export: a scheduler and a worker with --metrics_addr on 127.0.0.1:0 run a
few workflows (Python, JavaScript, one whose code raises, one refused as
invalid), then both /metrics are scraped.

usage: metric_names_test.py SCHEDULER WORKER FLOWGRIDCTL SOURCE_DIR
"""

import os
import re
import sys
import unittest

from cluster import Cluster, run_workflows
from dashboard_file import Dashboard
from exposition import scrape
from processes import children_of_test_class, exit_on_sigterm
from promql import metric_names
from rules_file import Rules

# Series Prometheus makes itself for every scrape target.
SCRAPE_SERIES = {"up"}


def documented_metrics(operations_md):
    """{name: (type, {label names})} from the tables of the "Metrics
    reference" section whose first column is `metric`."""
    section = operations_md.split("\n## Metrics reference\n", 1)[1].split("\n## ", 1)[0]
    documented, in_metric_table = {}, False
    for line in section.splitlines():
        if not line.startswith("|"):
            in_metric_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "metric":
            in_metric_table = True
        elif in_metric_table and cells[0].startswith("`"):
            labels = re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", cells[2]))
            documented[cells[0].strip("`")] = (cells[1], set(labels))
    return documented


def documented_recording_rules(operations_md):
    """The recording rules the "Metrics reference" section lists."""
    return set(re.findall(r"^\| `(flowgrid:[\w:]+)`", operations_md, re.MULTILINE))


class MetricNamesTest(unittest.TestCase):
    scheduler_bin = worker_bin = flowgridctl = source_dir = None

    @classmethod
    def setUpClass(cls):
        work_dir, children = children_of_test_class(cls, "flowgrid-metric-names-")
        with children.logs_on_error():
            cluster = Cluster(children, work_dir, cls.scheduler_bin, cls.worker_bin, workers=1)
            examples = os.path.join(cls.source_dir, "examples", "workflows")
            bad = os.path.join(cls.source_dir, "tests", "e2e", "data")
            statuses = run_workflows(cls.flowgridctl, cluster.client_addr, [
                (os.path.join(examples, "hello.json"), ["name=metrics"]),
                (os.path.join(examples, "javascript.json"), ["text=a b"]),
                (os.path.join(bad, "raises.json"), ["x=2"]),
                (os.path.join(bad, "cycle.json"), []),
            ])
            cls.scheduler = scrape(cluster.scheduler_metrics)
            cls.worker = scrape(cluster.worker_metrics[0])
        if statuses[:2] != [0, 0] or 0 in statuses[2:]:
            raise RuntimeError(f"unexpected flowgridctl exit statuses {statuses}\n{children.logs()}")
        with open(os.path.join(cls.source_dir, "docs", "OPERATIONS.md"), encoding="utf-8") as f:
            operations_md = f.read()
        cls.documented = documented_metrics(operations_md)
        cls.documented_rules = documented_recording_rules(operations_md)
        cls.rules = Rules(os.path.join(cls.source_dir, "deploy", "prometheus", "flowgrid-rules.yml"))
        cls.dashboard = Dashboard(
            os.path.join(cls.source_dir, "deploy", "grafana", "flowgrid-dashboard.json"))

    def exported_family(self, name):
        return self.scheduler.family_of(name) or self.worker.family_of(name)

    def check_names(self, expressions):
        checked = 0
        for where, expr in expressions:
            names = metric_names(expr)
            with self.subTest(where=where):
                self.assertTrue(names, f"no metric name found in {expr!r}")
                for name in names:
                    self.assertTrue(name in self.rules.recordings or name in SCRAPE_SERIES
                                    or self.exported_family(name),
                                    f"{name} (in {expr!r}) is not exported by the binaries "
                                    "nor a recording rule")
                    checked += 1
        self.assertGreater(checked, 20)

    def test_rules_use_exported_names(self):
        self.check_names(self.rules.expressions())

    def test_dashboard_uses_exported_names(self):
        self.check_names(self.dashboard.expressions())

    def test_reference_lists_every_exported_metric_with_its_type(self):
        for component, exposition in (("scheduler", self.scheduler), ("worker", self.worker)):
            for family, kind in exposition.types.items():
                with self.subTest(component=component, metric=family):
                    self.assertIn(family, self.documented, "not in the metrics reference")
                    self.assertEqual(self.documented[family][0], kind)

    def test_every_documented_metric_is_exported(self):
        for name in self.documented:
            self.assertIsNotNone(self.exported_family(name), f"{name} is not exported")

    def test_reference_lists_the_recording_rules(self):
        self.assertEqual(set(self.rules.recordings), self.documented_rules)

    def test_exported_labels_are_the_documented_ones(self):
        for component, exposition in (("scheduler", self.scheduler), ("worker", self.worker)):
            for sample, labels, _ in exposition.samples:
                family = exposition.family_of(sample)
                with self.subTest(component=component, sample=sample):
                    self.assertIn(family, self.documented)
                    kind, documented = self.documented[family]
                    names = set(labels) - ({"le"} if sample.endswith("_bucket") else set())
                    # A summary's _sum and _count have every label but quantile.
                    if kind == "summary" and sample != family:
                        documented = documented - {"quantile"}
                    self.assertEqual(documented, names)

    def test_the_workload_shows_in_the_metrics(self):
        self.assertEqual(1, self.scheduler.value("flowgrid_build_info", component="scheduler"))
        self.assertEqual(1, self.worker.value("flowgrid_build_info", component="worker"))
        self.assertGreaterEqual(self.scheduler.value(
            "flowgrid_runs_finished_total", status="succeeded"), 2)
        self.assertGreaterEqual(self.scheduler.value(
            "flowgrid_runs_finished_total", status="failed"), 1)
        self.assertGreaterEqual(self.scheduler.value(
            "flowgrid_jobs_finished_total", language="javascript", verdict="ok"), 1)
        self.assertGreaterEqual(self.scheduler.value(
            "flowgrid_jobs_finished_total", language="python3", verdict="runtime_error"), 1)
        self.assertGreaterEqual(self.scheduler.value(
            "flowgrid_submissions_rejected_total", reason="invalid"), 1)
        self.assertGreaterEqual(self.worker.value(
            "flowgrid_worker_jobs_total", language="python3", verdict="ok"), 1)
        self.assertEqual(1, self.worker.value("flowgrid_worker_connected"))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    exit_on_sigterm()
    (MetricNamesTest.scheduler_bin, MetricNamesTest.worker_bin, MetricNamesTest.flowgridctl,
     MetricNamesTest.source_dir) = sys.argv[1:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
