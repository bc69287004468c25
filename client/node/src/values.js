'use strict';
// Conversion between plain JavaScript values and flowgrid.v1.Value messages
// (workflow.proto) in the object form @grpc/proto-loader uses here
// (camelCase fields, int64 as decimal strings, enums as names).
//
// JS -> Value: null/undefined -> null; booleans; strings; integral numbers
// within int64 -> int_value, other finite numbers -> double_value; bigint
// -> int_value (RangeError outside int64); arrays -> list_value; plain
// objects -> object_value. Anything else (NaN, Infinity, Date, Map, Buffer,
// functions, class instances) is a TypeError naming where it was: a workflow
// value must mean the same thing in Python and JavaScript code nodes.
//
// Value -> JS: int_value becomes a number when it is a safe integer, else a
// bigint, so that int64 survives exactly; a Value with no kind is null.

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * @typedef {null | boolean | number | bigint | string | JsValue[] | {[key: string]: JsValue}} JsValue
 */

/**
 * @param {unknown} value
 * @param {string} where  what `value` is, for error messages ("inputs.name")
 * @returns {object} a flowgrid.v1.Value
 */
function toValue(value, where = 'value') {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  switch (typeof value) {
    case 'boolean':
      return { boolValue: value };
    case 'string':
      return { stringValue: value };
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`${where}: ${value} is not a JSON number`);
      }
      if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) {
        return { intValue: BigInt(value).toString() };
      }
      return { doubleValue: value };
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new RangeError(`${where}: ${value} does not fit in a 64-bit integer`);
      }
      return { intValue: value.toString() };
    case 'object':
      if (Array.isArray(value)) {
        return { listValue: { items: value.map((item, i) => toValue(item, `${where}[${i}]`)) } };
      }
      if (isPlainObject(value)) {
        return { objectValue: { fields: toValueMap(value, where) } };
      }
      throw new TypeError(`${where}: a ${value.constructor?.name ?? 'object'} is not a JSON value`);
    default:
      throw new TypeError(`${where}: a ${typeof value} is not a JSON value`);
  }
}

/**
 * @param {object | undefined} value  a flowgrid.v1.Value
 * @returns {JsValue}
 */
function fromValue(value) {
  switch (value?.kind) {
    case undefined:
    case 'nullValue':
      return null;
    case 'boolValue':
    case 'stringValue':
    case 'doubleValue':
      return value[value.kind];
    case 'intValue': {
      const big = BigInt(value.intValue);
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(big) : big;
    }
    case 'listValue':
      return (value.listValue.items ?? []).map(fromValue);
    case 'objectValue':
      return fromValueMap(value.objectValue.fields);
    default:
      throw new TypeError(`unknown flowgrid.v1.Value kind "${value.kind}"`);
  }
}

/**
 * A map<string, Value> from a plain object.
 * @param {object | undefined | null} object
 * @param {string} where
 * @returns {{[key: string]: object}}
 */
function toValueMap(object, where = 'value') {
  if (object === undefined || object === null) return {};
  if (!isPlainObject(object)) throw new TypeError(`${where}: expected a plain object`);
  const map = {};
  for (const [key, item] of Object.entries(object)) setOwn(map, key, toValue(item, `${where}.${key}`));
  return map;
}

/**
 * A plain object from a map<string, Value>.
 * @param {{[key: string]: object} | undefined | null} map
 * @returns {{[key: string]: JsValue}}
 */
function fromValueMap(map) {
  const object = {};
  for (const [key, item] of Object.entries(map ?? {})) setOwn(object, key, fromValue(item));
  return object;
}

// defineProperty: a key named "__proto__" is data, not the prototype.
function setOwn(object, key, value) {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

module.exports = { toValue, fromValue, toValueMap, fromValueMap };
