'use strict';
// A workflow as the scheduler takes it, from what a caller has at hand: an
// object in flowgrid's JSON form (protobuf's JSON mapping of
// flowgrid.v1.Workflow, as in examples/workflows/) or the path of a .json
// file holding one.
//
// protobuf.js (under proto-loader) would silently drop what it does not know
// and coerce what it should refuse ("required": "false" is true to it), so
// the object is checked against the message descriptors first, as
// protobuf's own JSON parser does: field names in lowerCamelCase or as
// written in the .proto, no unknown fields, enums by a known name or
// number, scalars of their JSON type. The result uses the camelCase names
// proto-loader expects.

const fs = require('node:fs');

const SCALAR_CHECKS = {
  TYPE_BOOL: (v) => typeof v === 'boolean',
  TYPE_STRING: (v) => typeof v === 'string',
  TYPE_BYTES: (v) => typeof v === 'string',
};
const NUMERIC = /^TYPE_(U?INT(32|64)|S?FIXED(32|64)|SINT(32|64)|DOUBLE|FLOAT)$/;

/**
 * @param {object | string} workflow  a JSON-form object or a .json path
 * @param {(fullName: string) => object | undefined} lookup  the descriptor
 *   (DescriptorProto / EnumDescriptorProto object) of a top-level type
 * @returns {object} flowgrid.v1.Workflow in proto-loader's object form
 */
function loadWorkflow(workflow, lookup) {
  if (typeof workflow === 'string') {
    let text;
    try {
      text = fs.readFileSync(workflow, 'utf8');
    } catch (error) {
      throw new Error(`workflow file ${workflow}: ${error.message}`, { cause: error });
    }
    let document;
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new SyntaxError(`workflow file ${workflow}: not JSON: ${error.message}`, { cause: error });
    }
    return checkMessage(document, scopeOf('flowgrid.v1.Workflow', lookup), `workflow file ${workflow}`);
  }
  if (workflow === null || typeof workflow !== 'object' || Array.isArray(workflow)) {
    throw new TypeError('a workflow is an object in flowgrid\'s JSON form or a .json file path');
  }
  return checkMessage(workflow, scopeOf('flowgrid.v1.Workflow', lookup), 'workflow');
}

// A message type and where its nested type names resolve: [descriptor,
// its parent's scope..., package].
function scopeOf(fullName, lookup) {
  return { descriptor: lookup(fullName), parents: [], pkg: fullName.replace(/\.[^.]+$/, ''), lookup };
}

// The scope of the type `typeName` used in `scope` (innermost nested type
// first, then the package's top-level types).
function resolve(scope, typeName) {
  const [first, ...rest] = typeName.replace(/^\./, '').split('.');
  let found;
  for (const candidate of [scope.descriptor, ...scope.parents]) {
    const nested = [...(candidate.nestedType ?? []), ...(candidate.enumType ?? [])]
      .find((t) => t.name === first);
    if (nested) {
      found = { descriptor: nested, parents: [candidate, ...scope.parents], pkg: scope.pkg,
        lookup: scope.lookup };
      break;
    }
  }
  found ??= { descriptor: scope.lookup(`${scope.pkg}.${first}`), parents: [], pkg: scope.pkg,
    lookup: scope.lookup };
  for (const name of rest) {
    const parent = found.descriptor;
    const nested = [...(parent?.nestedType ?? []), ...(parent?.enumType ?? [])]
      .find((t) => t.name === name);
    found = { descriptor: nested, parents: [parent, ...found.parents], pkg: scope.pkg,
      lookup: scope.lookup };
  }
  if (!found.descriptor) throw new Error(`flowgrid protos: cannot resolve type ${typeName}`);
  return found;
}

function checkMessage(object, scope, where) {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new TypeError(`${where}: expected an object (${scope.descriptor.name})`);
  }
  const byName = new Map();
  for (const field of scope.descriptor.field) {
    byName.set(field.name, field);
    byName.set(snakeCase(field.name), field);
  }
  const checked = {};
  for (const [key, value] of Object.entries(object)) {
    const field = byName.get(key);
    if (!field) {
      throw new TypeError(`${where}: unknown field "${key}" in ${scope.descriptor.name} ` +
        `(known: ${scope.descriptor.field.map((f) => f.name).join(', ')})`);
    }
    if (value === null) continue; // JSON null: the field's default
    checked[field.name] = checkField(value, field, scope, `${where}.${key}`);
  }
  return checked;
}

function checkField(value, field, scope, where) {
  if (field.label !== 'LABEL_REPEATED') return checkSingle(value, field, scope, where);
  if (field.type === 'TYPE_MESSAGE') {
    const entry = resolve(scope, field.typeName);
    if (entry.descriptor.options?.mapEntry) {
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new TypeError(`${where}: expected an object (a map)`);
      }
      const valueField = entry.descriptor.field.find((f) => f.name === 'value');
      const map = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(map, key, { value: checkSingle(item, valueField, entry, `${where}.${key}`),
          enumerable: true, writable: true, configurable: true });
      }
      return map;
    }
  }
  if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array`);
  return value.map((item, i) => checkSingle(item, field, scope, `${where}[${i}]`));
}

function checkSingle(value, field, scope, where) {
  if (field.type === 'TYPE_MESSAGE') {
    return checkMessage(value, resolve(scope, field.typeName), where);
  }
  if (field.type === 'TYPE_ENUM') {
    const values = resolve(scope, field.typeName).descriptor.value;
    if (!values.some((v) => v.name === value || v.number === value)) {
      throw new TypeError(`${where}: ${JSON.stringify(value)} is not one of ` +
        values.map((v) => v.name).join(', '));
    }
    return value;
  }
  const ok = NUMERIC.test(field.type) ? isJsonNumber(value, field.type)
    : SCALAR_CHECKS[field.type](value);
  if (!ok) {
    throw new TypeError(`${where}: ${JSON.stringify(value)} is not of type ${field.type.slice(5).toLowerCase()}`);
  }
  return value;
}

// A number, or a string holding one (protobuf's JSON form of 64-bit
// integers; "NaN", "Infinity" and "-Infinity" for floating point).
function isJsonNumber(value, type) {
  if (typeof value === 'number') return true;
  if (typeof value !== 'string' || value.trim() === '') return false;
  if (type === 'TYPE_DOUBLE' || type === 'TYPE_FLOAT') return !Number.isNaN(Number(value)) || value === 'NaN';
  return !Number.isNaN(Number(value));
}

/** "ifElse" -> "if_else" */
function snakeCase(name) {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

module.exports = { loadWorkflow };
