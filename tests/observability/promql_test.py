"""promql.metric_names on the shapes the rules and the dashboard use."""

import unittest

from promql import metric_names


class MetricNamesTest(unittest.TestCase):
    def test_a_bare_name(self):
        self.assertEqual({"up"}, metric_names("up"))

    def test_matchers_ranges_and_functions_are_not_names(self):
        self.assertEqual({"flowgrid_runs_finished_total"}, metric_names(
            'sum by (status) (rate(flowgrid_runs_finished_total{status!~"ok|x", a="}{"}[5m]))'))

    def test_grafana_variables_and_label_lists(self):
        self.assertEqual({"flowgrid_job_duration_seconds_bucket"}, metric_names(
            "histogram_quantile(0.95, sum by (le, language) "
            "(rate(flowgrid_job_duration_seconds_bucket{job=\"$job\"}[$__rate_interval])))"))

    def test_binary_operations_offsets_and_recording_rules(self):
        self.assertEqual(
            {"flowgrid:queue_depth_per_worker", "a_total", "b", "c"},
            metric_names("flowgrid:queue_depth_per_worker > 10 and on() sum(a_total) / "
                         "ignoring(x) group_left(y) b unless c offset 10m or vector(1e-9)"))

    def test_numbers_and_durations_are_not_names(self):
        self.assertEqual({"x"}, metric_names("time() - x > 1e3 + 0x1f + 5m"))

    def test_aggregation_without_parentheses_after_the_label_list(self):
        self.assertEqual({"flowgrid_slots"},
                         metric_names("sum without (state) (flowgrid_slots) * -1"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
