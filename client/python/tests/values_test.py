"""Plain Python values <-> flowgrid.v1.Value (flowgrid.values), and the
loading of workflows (flowgrid.workflows)."""

import json
import os
import tempfile
import unittest

import flowgrid
from flowgrid.v1 import scheduler_pb2, workflow_pb2
from flowgrid.values import fill_value_map


class ToValueTest(unittest.TestCase):
    def test_scalars_keep_their_kind(self):
        cases = [(None, "null_value"), (True, "bool_value"), (False, "bool_value"),
                 (0, "int_value"), (-7, "int_value"), (2.5, "double_value"),
                 (1.0, "double_value"), ("", "string_value"), ("héllo", "string_value")]
        for value, kind in cases:
            with self.subTest(value=value):
                message = flowgrid.to_value(value)
                self.assertEqual(message.WhichOneof("kind"), kind)
                back = flowgrid.from_value(message)
                self.assertEqual(back, value)
                self.assertIs(type(back), type(value))

    def test_int64_bounds_are_exact_and_beyond_them_is_an_error(self):
        for value in (2**63 - 1, -(2**63), 9007199254740993):
            self.assertEqual(flowgrid.from_value(flowgrid.to_value(value)), value)
        with self.assertRaisesRegex(ValueError, r"inputs\['n'\]: 9223372036854775808 is outside"):
            fill_value_map(scheduler_pb2.SubmitRunRequest().inputs, {"n": 2**63})

    def test_nested_lists_and_objects_round_trip(self):
        value = {"a": [1, 2.5, None, True, "x", {"deep": [[]]}], "empty_list": [],
                 "empty_object": {}, "tuple": (1, 2)}
        message = flowgrid.to_value(value)
        self.assertEqual(message.object_value.fields["empty_list"].WhichOneof("kind"),
                         "list_value")
        self.assertEqual(message.object_value.fields["empty_object"].WhichOneof("kind"),
                         "object_value")
        expected = dict(value, tuple=[1, 2])
        self.assertEqual(flowgrid.from_value(message), expected)

    def test_unsupported_values_name_where_they_are(self):
        with self.assertRaisesRegex(TypeError, r"inputs\['x'\]\[1\]: a set cannot be"):
            fill_value_map(scheduler_pb2.SubmitRunRequest().inputs, {"x": [1, {2}]})
        with self.assertRaisesRegex(TypeError, r"value\['o'\]: key 3 is a int, not a str"):
            flowgrid.to_value({"o": {3: "three"}})
        with self.assertRaisesRegex(TypeError, "inputs: expected a dict, got a list"):
            fill_value_map(scheduler_pb2.SubmitRunRequest().inputs, [1])

    def test_a_value_message_is_taken_as_is(self):
        message = workflow_pb2.Value(string_value="kept")
        self.assertEqual(flowgrid.to_value([message]).list_value.items[0], message)

    def test_value_maps(self):
        request = scheduler_pb2.SubmitRunRequest()
        fill_value_map(request.inputs, {"n": 3, "names": ["a", "b"]})
        fill_value_map(request.system, None)
        self.assertEqual(flowgrid.from_value_map(request.inputs), {"n": 3, "names": ["a", "b"]})
        self.assertEqual(len(request.system), 0)
        self.assertIsNone(flowgrid.from_value(workflow_pb2.Value()))


class LoadWorkflowTest(unittest.TestCase):
    document = {"name": "tiny", "nodes": [{"id": "start", "start": {}},
                                          {"id": "end", "end": {}}],
                "edges": [{"source": "start", "target": "end"}]}

    def test_dict_file_and_message_give_the_same_workflow(self):
        from_dict = flowgrid.load_workflow(self.document)
        self.assertEqual(from_dict.name, "tiny")
        self.assertEqual([n.WhichOneof("kind") for n in from_dict.nodes], ["start", "end"])
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tiny.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(self.document, f)
            self.assertEqual(flowgrid.load_workflow(path), from_dict)
        self.assertIs(flowgrid.load_workflow(from_dict), from_dict)

    def test_bad_workflows_name_the_problem(self):
        with self.assertRaisesRegex(ValueError, "workflow dict: not a flowgrid workflow"):
            flowgrid.load_workflow({"nodes": [{"id": "a", "no_such_kind": {}}]})
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "broken.json")
            with open(path, "w", encoding="utf-8") as f:
                f.write("{ not json")
            with self.assertRaisesRegex(ValueError, f"workflow file {path}: not JSON"):
                flowgrid.load_workflow(path)
        with self.assertRaisesRegex(TypeError, "not a int"):
            flowgrid.load_workflow(3)


if __name__ == "__main__":
    unittest.main()
