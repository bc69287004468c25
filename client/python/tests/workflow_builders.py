"""Workflows in flowgrid's JSON form, written briefly for the tests."""


def code_node(node_id, language, code, inputs, outputs, **extra):
    """A code node; inputs {name: selector}, outputs {name: type kind},
    `extra` more node fields (limits=...)."""
    return dict({"id": node_id, "code": {
        "language": language, "code": code,
        "inputs": [{"name": name, "selector": selector} for name, selector in inputs.items()],
        "outputs": {name: {"kind": kind} for name, kind in outputs.items()}}}, **extra)


def workflow(name, start_variables, nodes, end_outputs):
    """start (required variables {name: type kind}) -> nodes, in a chain ->
    end (outputs {name: selector})."""
    ids = ["start"] + [n["id"] for n in nodes] + ["end"]
    return {
        "name": name,
        "nodes": [{"id": "start", "start": {"variables": [
                      {"name": v, "type": {"kind": kind}, "required": True}
                      for v, kind in start_variables.items()]}}]
                 + nodes
                 + [{"id": "end", "end": {"outputs": [
                       {"name": name, "selector": selector}
                       for name, selector in end_outputs.items()]}}],
        "edges": [{"source": a, "target": b} for a, b in zip(ids, ids[1:])],
    }
