'use strict';
// Unit tests of the JS <-> flowgrid.v1.Value conversion (src/values.js).

const assert = require('node:assert/strict');
const { test } = require('node:test');
const { toValue, fromValue, toValueMap, fromValueMap } = require('../src/values');

test('scalars map to their Value kinds', () => {
  assert.deepEqual(toValue(null), { nullValue: 'NULL_VALUE' });
  assert.deepEqual(toValue(undefined), { nullValue: 'NULL_VALUE' });
  assert.deepEqual(toValue(true), { boolValue: true });
  assert.deepEqual(toValue('héllo'), { stringValue: 'héllo' });
  assert.deepEqual(toValue(42), { intValue: '42' });
  assert.deepEqual(toValue(-7), { intValue: '-7' });
  assert.deepEqual(toValue(2.5), { doubleValue: 2.5 });
  assert.deepEqual(toValue(1e300), { doubleValue: 1e300 });
});

test('integers keep all 64 bits both ways', () => {
  const max = 9223372036854775807n;
  const min = -9223372036854775808n;
  assert.deepEqual(toValue(max), { intValue: '9223372036854775807' });
  assert.deepEqual(toValue(min), { intValue: '-9223372036854775808' });
  assert.equal(fromValue({ kind: 'intValue', intValue: '9223372036854775807' }), max);
  assert.equal(fromValue({ kind: 'intValue', intValue: '-9223372036854775808' }), min);
  // Safe integers come back as numbers, the first unsafe one as a bigint.
  assert.equal(fromValue({ kind: 'intValue', intValue: String(Number.MAX_SAFE_INTEGER) }),
    Number.MAX_SAFE_INTEGER);
  assert.equal(fromValue({ kind: 'intValue', intValue: '9007199254740992' }), 9007199254740992n);
  // An integral double beyond int64 stays a double.
  assert.deepEqual(toValue(2 ** 63), { doubleValue: 2 ** 63 });
  assert.deepEqual(toValue(-(2 ** 63)), { intValue: '-9223372036854775808' });
});

test('what JSON cannot carry is refused, naming where it is', () => {
  assert.throws(() => toValueMap({ a: { b: [1, NaN] } }, 'inputs'), /inputs\.a\.b\[1\]: NaN/);
  assert.throws(() => toValue(Infinity), TypeError);
  assert.throws(() => toValue(2n ** 63n), /does not fit in a 64-bit integer/);
  assert.throws(() => toValueMap({ when: new Date(0) }, 'inputs'), /inputs\.when: a Date/);
  assert.throws(() => toValue(new Map()), /a Map is not a JSON value/);
  assert.throws(() => toValue(() => 1), /a function is not a JSON value/);
  assert.throws(() => toValue(Symbol('s')), TypeError);
  assert.throws(() => toValueMap([1], 'inputs'), /inputs: expected a plain object/);
});

test('nested lists and objects convert both ways', () => {
  const js = { list: [1, 'two', [3.5, null]], object: { deep: { flag: false } }, empty: {} };
  const value = toValue(js);
  assert.deepEqual(value.objectValue.fields.list, {
    listValue: { items: [{ intValue: '1' }, { stringValue: 'two' },
      { listValue: { items: [{ doubleValue: 3.5 }, { nullValue: 'NULL_VALUE' }] } }] },
  });
  // proto-loader's decoded form names the set oneof member in `kind`.
  const decoded = withKinds(value);
  assert.deepEqual(fromValue(decoded), js);
});

test('object keys are data, "__proto__" included', () => {
  const js = JSON.parse('{"__proto__": {"polluted": 1}, "x": 2}');
  const map = toValueMap(js);
  assert.deepEqual(Object.keys(map), ['__proto__', 'x']);
  const back = fromValueMap(withKinds({ objectValue: { fields: map } }).objectValue.fields);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.keys(back), ['__proto__', 'x']);
  assert.equal({}.polluted, undefined);
});

test('a Value without a kind, and a missing map, are null and empty', () => {
  assert.equal(fromValue(undefined), null);
  assert.equal(fromValue({}), null);
  assert.deepEqual(fromValueMap(undefined), {});
  assert.deepEqual(toValueMap(undefined), {});
  assert.throws(() => fromValue({ kind: 'bytesValue' }), /unknown flowgrid.v1.Value kind "bytesValue"/);
});

// Adds `kind` to every Value, as proto-loader's oneofs option does.
function withKinds(value) {
  const [kind] = Object.keys(value);
  const out = { kind, [kind]: value[kind] };
  if (kind === 'listValue') out.listValue = { items: value.listValue.items.map(withKinds) };
  if (kind === 'objectValue') {
    const fields = {};
    for (const [k, v] of Object.entries(value.objectValue.fields)) {
      Object.defineProperty(fields, k, { value: withKinds(v), enumerable: true });
    }
    out.objectValue = { fields };
  }
  return out;
}
