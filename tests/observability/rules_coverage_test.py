"""Every alert of flowgrid-rules.yml is unit-tested firing and not firing by
deploy/prometheus/tests, carries severity, summary, description and a
runbook_url whose anchor is a heading of docs/OPERATIONS.md; every recording
rule is evaluated by a test or used by an alert.

usage: rules_coverage_test.py RULES_FILE OPERATIONS_MD RULE_TEST_FILE...
"""

import re
import sys
import unittest

import yaml

from rules_file import Rules

SEVERITIES = {"critical", "warning"}


def github_anchor(heading):
    """The anchor GitHub gives a Markdown heading's text."""
    anchor = heading.strip().lower()
    anchor = re.sub(r"[^\w\- ]", "", anchor)
    return anchor.replace(" ", "-")


class RulesCoverageTest(unittest.TestCase):
    rules_path = None
    operations_path = None
    test_paths = []

    @classmethod
    def setUpClass(cls):
        cls.rules = Rules(cls.rules_path)
        with open(cls.operations_path, encoding="utf-8") as f:
            cls.anchors = {github_anchor(m.group(1))
                           for m in re.finditer(r"^#+ (.+)$", f.read(), re.MULTILINE)}
        cls.fired, cls.quiet, cls.evaluated = set(), set(), []
        for path in cls.test_paths:
            with open(path, encoding="utf-8") as f:
                for test in yaml.safe_load(f)["tests"]:
                    for check in test.get("alert_rule_test", []):
                        (cls.fired if check.get("exp_alerts") else cls.quiet).add(
                            check["alertname"])
                    cls.evaluated += [check["expr"] for check in test.get("promql_expr_test", [])]

    def test_there_are_alerts_and_recording_rules(self):
        self.assertGreaterEqual(len(self.rules.alerts), 10)
        self.assertIn("flowgrid:queue_depth_per_worker", self.rules.recordings)

    def test_every_alert_is_tested_firing_and_quiet(self):
        for name in self.rules.alerts:
            with self.subTest(alert=name):
                self.assertIn(name, self.fired, "no test expects it to fire")
                self.assertIn(name, self.quiet, "no test expects it to stay quiet")

    def test_tests_name_only_existing_alerts(self):
        self.assertEqual(set(), (self.fired | self.quiet) - set(self.rules.alerts))

    def test_every_alert_is_labelled_and_annotated(self):
        for name, rule in self.rules.alerts.items():
            with self.subTest(alert=name):
                self.assertIn(rule.get("labels", {}).get("severity"), SEVERITIES)
                annotations = rule.get("annotations", {})
                for key in ("summary", "description", "runbook_url"):
                    self.assertTrue(annotations.get(key), f"annotation {key} missing")
                url = annotations["runbook_url"]
                self.assertRegex(url, r"^docs/OPERATIONS\.md#")
                anchor = url.split("#", 1)[1]
                self.assertEqual(anchor, name.lower(), "the runbook entry is named after the alert")
                self.assertIn(anchor, self.anchors, "no such heading in docs/OPERATIONS.md")

    def test_every_recording_rule_is_evaluated_or_alerted_on(self):
        used = self.evaluated + [rule["expr"] for rule in self.rules.alerts.values()]
        for name in self.rules.recordings:
            with self.subTest(rule=name):
                self.assertTrue(any(re.search(re.escape(name) + r"(?![\w:])", expr)
                                    for expr in used))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    RulesCoverageTest.rules_path, RulesCoverageTest.operations_path = sys.argv[1:3]
    RulesCoverageTest.test_paths = sys.argv[3:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
