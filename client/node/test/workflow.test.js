'use strict';
// Unit tests of reading workflows in flowgrid's JSON form (src/workflow.js).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const { loadFlowgridV1 } = require('../src/protos');
const { loadWorkflow } = require('../src/workflow');

const { lookup } = loadFlowgridV1();
const EXAMPLES = path.resolve(__dirname, '..', '..', '..', 'examples', 'workflows');
const load = (workflow) => loadWorkflow(workflow, lookup);

test('every example workflow file loads as written', () => {
  const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 10, files.join(' '));
  for (const file of files) {
    const full = path.join(EXAMPLES, file);
    assert.deepEqual(load(full), JSON.parse(fs.readFileSync(full, 'utf8')), file);
  }
});

test('names as written in the .proto become camelCase, nested types included', () => {
  const workflow = load({
    name: 'w',
    nodes: [
      { id: 'c', if_else: { cases: [{ case_id: 'true', logical_operator: 'or',
        conditions: [{ selector: ['s', 'x'], comparison_operator: '=',
          value: { int_value: '3' } }] }] } },
      { id: 'l', loop: { loop_count: 3, loop_variables: [{ name: 'n', type: { kind: 'NUMBER' },
        value: { intValue: 0 } }], nodes: [{ id: 'inner', error_strategy: { kind: 'DEFAULT_VALUE',
        defaults: { out: { string_value: 'x' } } } }] } },
      { id: 'a', variableAggregator: { groups: [{ group_name: 'g', output_type: { kind: 'ANY' } }] } },
    ],
  });
  assert.deepEqual(workflow.nodes[0].ifElse.cases[0], { caseId: 'true', logicalOperator: 'or',
    conditions: [{ selector: ['s', 'x'], comparisonOperator: '=', value: { intValue: '3' } }] });
  assert.equal(workflow.nodes[1].loop.loopCount, 3);
  assert.deepEqual(workflow.nodes[1].loop.loopVariables[0].value, { intValue: 0 });
  assert.deepEqual(workflow.nodes[1].loop.nodes[0].errorStrategy.defaults,
    { out: { stringValue: 'x' } });
  assert.equal(workflow.nodes[2].variableAggregator.groups[0].groupName, 'g');
});

test('what protobuf\'s JSON parser refuses is refused, naming the field', () => {
  const node = (extra) => ({ nodes: [{ id: 'n', ...extra }] });
  assert.throws(() => load(node({ if_elze: {} })),
    /workflow\.nodes\[0\]: unknown field "if_elze" in Node \(known: id, title, start, code, ifElse/);
  assert.throws(() => load(node({ code: { language: 'PYTHON' } })),
    /workflow\.nodes\[0\]\.code\.language: "PYTHON" is not one of LANGUAGE_UNSPECIFIED, PYTHON3, JAVASCRIPT/);
  assert.throws(() => load(node({ start: { variables: [{ name: 'x', required: 'false' }] } })),
    /workflow\.nodes\[0\]\.start\.variables\[0\]\.required: "false" is not of type bool/);
  assert.throws(() => load(node({ limits: { timeoutMs: 'soon' } })),
    /workflow\.nodes\[0\]\.limits\.timeoutMs: "soon" is not of type int64/);
  assert.throws(() => load(node({ code: { outputs: { x: { knd: 'STRING' } } } })),
    /workflow\.nodes\[0\]\.code\.outputs\.x: unknown field "knd" in Type/);
  assert.throws(() => load({ nodes: { id: 'n' } }), /workflow\.nodes: expected an array/);
  assert.throws(() => load([]), TypeError);
  // Accepted: int64 as a number or a string, enums by number, JSON null.
  assert.deepEqual(load(node({ limits: { timeoutMs: 500, memoryBytes: '1048576' },
    code: { language: 2 }, title: null })).nodes[0],
  { id: 'n', limits: { timeoutMs: 500, memoryBytes: '1048576' }, code: { language: 2 } });
});

test('a workflow file that cannot be read or parsed names the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowgrid-node-workflow-'));
  try {
    const missing = path.join(dir, 'missing.json');
    assert.throws(() => load(missing), (e) => e.message.startsWith(`workflow file ${missing}: `) &&
      e.cause.code === 'ENOENT');
    const broken = path.join(dir, 'broken.json');
    fs.writeFileSync(broken, '{"name": ');
    assert.throws(() => load(broken), { name: 'SyntaxError', message: new RegExp(`workflow file ${broken}: not JSON`) });
    const wrong = path.join(dir, 'wrong.json');
    fs.writeFileSync(wrong, '{"name": "w", "steps": []}');
    assert.throws(() => load(wrong), new RegExp(`workflow file ${wrong}: unknown field "steps"`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
