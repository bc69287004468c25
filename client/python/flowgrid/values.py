"""Plain Python values <-> flowgrid.v1.Value (the JSON-like value of
workflow.proto).

None, bool, int, float, str, lists (and tuples) and dicts with string keys
convert both ways; ints stay ints (int64 exactly, as the scheduler keeps
them), floats stay floats. Anything else, an int outside int64 or a
non-string key is a TypeError or ValueError naming where it is.
"""

from flowgrid.v1 import workflow_pb2

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def to_value(value, where="value"):
    """A flowgrid.v1.Value for `value`; `where` names it in errors."""
    message = workflow_pb2.Value()
    _fill(message, value, where)
    return message


def _fill(message, value, where):
    if isinstance(value, workflow_pb2.Value):
        message.CopyFrom(value)
    elif value is None:
        message.null_value = workflow_pb2.NULL_VALUE
    elif isinstance(value, bool):  # before int: bool is an int subclass
        message.bool_value = value
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"{where}: {value} is outside the 64-bit integer range")
        message.int_value = value
    elif isinstance(value, float):
        message.double_value = value
    elif isinstance(value, str):
        message.string_value = value
    elif isinstance(value, (list, tuple)):
        items = message.list_value.items
        for i, item in enumerate(value):
            _fill(items.add(), item, f"{where}[{i}]")
        if not value:
            message.list_value.SetInParent()
    elif isinstance(value, dict):
        fill_value_map(message.object_value.fields, value, where)
        if not value:
            message.object_value.SetInParent()
    else:
        raise TypeError(f"{where}: a {type(value).__name__} cannot be a flowgrid value "
                        "(use None, bool, int, float, str, list or dict)")


def fill_value_map(fields, values, where="inputs"):
    """Sets the protobuf map<string, Value> `fields` from a dict of plain
    values (None: nothing); `where` names it in errors."""
    if values is None:
        return
    if not isinstance(values, dict):
        raise TypeError(f"{where}: expected a dict, got a {type(values).__name__}")
    for key, item in values.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: key {key!r} is a {type(key).__name__}, not a str")
        _fill(fields[key], item, f"{where}[{key!r}]")


def from_value(message):
    """The plain Python value of a flowgrid.v1.Value (an unset one is None)."""
    kind = message.WhichOneof("kind")
    if kind is None or kind == "null_value":
        return None
    if kind == "list_value":
        return [from_value(item) for item in message.list_value.items]
    if kind == "object_value":
        return from_value_map(message.object_value.fields)
    return getattr(message, kind)


def from_value_map(fields):
    """{name: plain value} for a protobuf map<string, Value>."""
    return {name: from_value(value) for name, value in fields.items()}
