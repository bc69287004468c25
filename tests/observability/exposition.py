"""Prometheus' text exposition format (what GET /metrics serves), read into
metric families and samples."""

import re
import urllib.request

_SAMPLE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$")
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')
# Sample names a family of these types has besides its own name.
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class Exposition:
    def __init__(self, text):
        self.types = {}  # family name -> counter, gauge, histogram, ...
        self.samples = []  # (sample name, {label: value}, float)
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, kind = line.split(None, 3)
                self.types[name] = kind
            elif line and not line.startswith("#"):
                match = _SAMPLE.match(line)
                if not match:
                    raise ValueError(f"not an exposition line: {line!r}")
                name, labels, value = match.groups()
                self.samples.append((name, dict(_LABEL.findall(labels or "")), float(value)))

    def family_of(self, name):
        """The family a sample or series name belongs to, or None."""
        if name in self.types:
            return name
        for family, kind in self.types.items():
            if any(name == family + suffix for suffix in _SUFFIXES.get(kind, ())):
                return family
        return None

    def value(self, name, **labels):
        """The sum of the samples named `name` that carry `labels`."""
        return sum(v for n, l, v in self.samples
                   if n == name and all(l.get(k) == w for k, w in labels.items()))


def scrape(address, timeout_seconds=5):
    """GET http://ADDRESS/metrics."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=timeout_seconds) as response:
        return Exposition(response.read().decode("utf-8"))
