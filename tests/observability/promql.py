"""The metric names a PromQL expression selects, without a PromQL parser:
strings, label matchers, ranges, grouping label lists and numbers are cut
out, and of the identifiers left those called like functions and the
language's keywords are dropped. Grafana's variables ($__rate_interval,
${name}, $name) may stand where a duration does."""

import re

_GRAFANA_VARIABLE = re.compile(r"\$(\{[^}]*\}|\w+)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_LABEL_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_OFFSET = re.compile(r"\boffset\s+-?\w+")
_IDENTIFIER = re.compile(r"(?<![\w.:])[a-zA-Z_:][\w:]*")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
             "and", "or", "unless", "atan2", "inf", "nan", "start", "end"}


def metric_names(expr):
    """The set of metric names `expr` selects (recording rule names included)."""
    text = _GRAFANA_VARIABLE.sub("5m", expr)
    text = _STRING.sub(" ", text)
    text = _LABEL_MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _LABEL_LIST.sub(" ", text)
    text = _OFFSET.sub(" ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name = match.group(0)
        called = re.match(r"\s*\(", text[match.end():])
        if not called and name.lower() not in _KEYWORDS:
            names.add(name)
    return names
