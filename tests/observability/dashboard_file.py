"""The Grafana dashboard read as data: its panels and their queries."""

import json


class Dashboard:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.document = json.load(f)
        self.panels = [p for p in self.document["panels"] if p["type"] != "row"]

    def expressions(self):
        """(where, PromQL) for every query of every panel."""
        for panel in self.panels:
            for target in panel.get("targets", []):
                yield f"panel \"{panel['title']}\" query {target['refId']}", target["expr"]
