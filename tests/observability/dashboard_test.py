"""The Grafana dashboard's structure: its data source is a variable, its
panels are laid out without overlap and each has queries, and together
they show what an operator needs (throughput, latency, queue, workers,
slots, verdicts, refusals, sandbox setup, job CPU and memory, store).
Whether the names exist is metric_names_test.py's job.

usage: dashboard_test.py DASHBOARD_JSON
"""

import sys
import unittest

from dashboard_file import Dashboard
from promql import metric_names

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# What the panels must show between them.
REQUIRED = {
    "flowgrid_runs_finished_total", "flowgrid_jobs_finished_total",
    "flowgrid_run_duration_seconds_bucket", "flowgrid_job_duration_seconds_bucket",
    "flowgrid_queue_depth", "flowgrid_queue_oldest_age_seconds", "flowgrid:queue_depth_per_worker",
    "flowgrid_workers_connected", "flowgrid_workers_draining", "flowgrid_slots",
    "flowgrid_submissions_rejected_total", "flowgrid_worker_sandbox_setup_seconds_bucket",
    "flowgrid_worker_job_cpu_seconds_total", "flowgrid_worker_job_peak_memory_bytes_bucket",
    "flowgrid_store_write_duration_seconds_bucket",
}


class DashboardTest(unittest.TestCase):
    path = None

    @classmethod
    def setUpClass(cls):
        cls.dashboard = Dashboard(cls.path)

    def test_datasource_is_a_template_variable(self):
        document = self.dashboard.document
        self.assertGreaterEqual(document["schemaVersion"], 36)
        variables = {v["name"]: v for v in document["templating"]["list"]}
        self.assertEqual("datasource", variables["datasource"]["type"])
        self.assertEqual("prometheus", variables["datasource"]["query"])

    def test_every_panel_queries_the_templated_datasource(self):
        for panel in self.dashboard.panels:
            with self.subTest(panel=panel["title"]):
                self.assertEqual(DATASOURCE, panel["datasource"])
                targets = panel["targets"]
                self.assertTrue(targets)
                self.assertEqual(len(targets), len({t["refId"] for t in targets}))
                for target in targets:
                    self.assertEqual(DATASOURCE, target["datasource"])
                    self.assertTrue(target["expr"].strip())

    def test_panels_are_laid_out_without_overlap(self):
        document = self.dashboard.document
        ids = [p["id"] for p in document["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        cells = {}
        for panel in document["panels"]:
            g = panel["gridPos"]
            self.assertLessEqual(g["x"] + g["w"], 24, panel["title"])
            for x in range(g["x"], g["x"] + g["w"]):
                for y in range(g["y"], g["y"] + g["h"]):
                    self.assertNotIn((x, y), cells,
                                     f"{panel['title']} overlaps {cells.get((x, y))}")
                    cells[(x, y)] = panel["title"]

    def test_panels_show_what_an_operator_needs(self):
        used = set()
        for _, expr in self.dashboard.expressions():
            used |= metric_names(expr)
        self.assertEqual(set(), REQUIRED - used)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    DashboardTest.path = sys.argv[1]
    unittest.main(argv=sys.argv[:1], verbosity=2)
