import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatValue, formatValueMap } from '../src/lib/values.js';

test('scalars print as JSON, int64 exactly as sent', () => {
  assert.equal(formatValue({ null_value: 'NULL_VALUE' }), 'null');
  assert.equal(formatValue({ bool_value: false }), 'false');
  assert.equal(formatValue({ int_value: '9223372036854775807' }), '9223372036854775807');
  assert.equal(formatValue({ double_value: 2 }), '2.0');
  assert.equal(formatValue({ double_value: 0.25 }), '0.25');
  assert.equal(formatValue({ double_value: 'NaN' }), 'NaN');
  assert.equal(formatValue({ string_value: 'a "q"\n' }), '"a \\"q\\"\\n"');
  assert.equal(formatValue({}), 'null');
});

test('lists and objects nest, keys sorted', () => {
  const value = { object_value: { fields: {
    b: { list_value: { items: [{ int_value: '1' }, { string_value: 'x' }] } },
    a: { object_value: { fields: {} } },
    c: { list_value: {} },
  } } };
  assert.equal(formatValue(value, 0), '{"a": {}, "b": [1, "x"], "c": []}');
  assert.equal(formatValue(value), '{\n  "a": {},\n  "b": [\n    1,\n    "x"\n  ],\n  "c": []\n}');
});

test('a value map prints as one object', () => {
  assert.equal(formatValueMap({ n: { int_value: '3' } }, 0), '{"n": 3}');
  assert.equal(formatValueMap(undefined), '{}');
});
