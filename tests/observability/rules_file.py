"""flowgrid-rules.yml read as data: its recording rules and alerts."""

import yaml


class Rules:
    """The rule groups of one Prometheus rule file."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            document = yaml.safe_load(f)
        rules = [rule for group in document["groups"] for rule in group["rules"]]
        self.recordings = {rule["record"]: rule for rule in rules if "record" in rule}
        self.alerts = {rule["alert"]: rule for rule in rules if "alert" in rule}

    def expressions(self):
        """(where, PromQL) for every rule."""
        for name, rule in {**self.recordings, **self.alerts}.items():
            yield f"rule {name}", rule["expr"]
