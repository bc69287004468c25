import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunState, flattenWorkflow } from '../src/graph/run_state.js';

// start -> check (if-else: case "big" or "false") -> yes | no -> join -> end
const WORKFLOW = {
  name: 'branchy',
  nodes: [
    { id: 'start', title: 'Start', start: {} },
    { id: 'check', title: 'Check', if_else: { cases: [{ case_id: 'big', conditions: [] }] } },
    { id: 'yes', title: 'Yes', code: { language: 'PYTHON3', code: '' } },
    { id: 'no', title: 'No', code: { language: 'PYTHON3', code: '' } },
    { id: 'join', title: 'Join', variable_aggregator: {} },
    { id: 'end', title: 'End', end: {} },
  ],
  edges: [
    { source: 'start', target: 'check' },
    { source: 'check', source_handle: 'big', target: 'yes' },
    { source: 'check', source_handle: 'false', target: 'no' },
    { source: 'yes', target: 'join' },
    { source: 'no', target: 'join' },
    { source: 'join', target: 'end' },
  ],
};

let sequence = 0;
const event = (kind, body) => ({ sequence: String(++sequence), [kind]: body });
const result = (status, extra = {}) => ({ status, outputs: {}, ...extra });
const started = (node_id, attempt = 1) => event('node_started', { node_id, attempt, inputs: {} });
const finished = (node_id, status, extra = {}) => event('node_finished',
  { node_id, attempt: extra.attempt ?? 1, inputs: {}, result: result(status), branch: extra.branch ?? '' });

const states = (state) => Object.fromEntries([...state.nodes].map(([id, n]) => [id, n.state]));
const edgeStates = (state) => state.edges.map((e) => `${e.source}>${e.target}:${e.state}`);

test('events move nodes through their states; the branch not taken is skipped', () => {
  const state = new RunState(WORKFLOW);
  assert.deepEqual(new Set(Object.values(states(state))), new Set(['pending']));
  let changes = state.applyEvents([event('run_started', { inputs: {} }), started('start'),
    finished('start', 'NODE_SUCCEEDED'), started('check')]);
  assert.deepEqual([...changes.nodes].sort(), ['check', 'start']);
  assert.equal(states(state).check, 'running');
  changes = state.applyEvents([finished('check', 'NODE_SUCCEEDED', { branch: 'big' }), started('yes')]);
  assert.equal(states(state).yes, 'running');
  assert.deepEqual(edgeStates(state).slice(0, 3),
    ['start>check:taken', 'check>yes:taken', 'check>no:skipped']);
  // The scheduler reports nothing for a skipped node: "no" is skipped because
  // its only edge is.
  assert.equal(states(state).no, 'skipped');
  assert.equal(edgeStates(state)[4], 'no>join:skipped');
  state.applyEvents([finished('yes', 'NODE_SUCCEEDED'),
    started('join'), finished('join', 'NODE_SUCCEEDED'), started('end'),
    finished('end', 'NODE_SUCCEEDED'),
    event('run_finished', { status: 'RUN_SUCCEEDED', outputs: {} })]);
  assert.deepEqual(states(state), { start: 'succeeded', check: 'succeeded', yes: 'succeeded',
    no: 'skipped', join: 'succeeded', end: 'succeeded' });
  assert.deepEqual(edgeStates(state), ['start>check:taken', 'check>yes:taken', 'check>no:skipped',
    'yes>join:taken', 'no>join:skipped', 'join>end:taken']);
  assert.equal(state.run.status, 'RUN_SUCCEEDED');
});

test('a skip runs down a chain; a node with another taken edge is not skipped', () => {
  const state = new RunState({ nodes: ['s', 'c', 'a', 'b', 'm', 'e'].map((id) => ({ id, code: {} })),
    edges: [{ source: 's', target: 'c' }, { source: 'c', source_handle: 'x', target: 'a' },
      { source: 'a', target: 'b' }, { source: 'b', target: 'm' }, { source: 's', target: 'm' },
      { source: 'b', target: 'e' }] });
  const changes = state.applyEvents([event('run_started', {}), started('s'), finished('s', 'NODE_SUCCEEDED'),
    started('c'), finished('c', 'NODE_SUCCEEDED', { branch: 'false' })]);
  assert.deepEqual(states(state), { s: 'succeeded', c: 'succeeded', a: 'skipped', b: 'skipped',
    m: 'pending', e: 'skipped' });
  assert.deepEqual([...changes.nodes].sort(), ['a', 'b', 'c', 'e', 'm', 's']);
});

test('a retry shows as retried, then failed or retried after success', () => {
  const state = new RunState(WORKFLOW);
  state.applyEvents([event('run_started', {}), started('yes'),
    event('node_retry', { node_id: 'yes', attempt: 1, error: { code: 'RUNTIME_ERROR' }, retry_in_ms: 100 })]);
  assert.equal(states(state).yes, 'retried');
  state.applyEvents([started('yes', 2)]);
  assert.equal(states(state).yes, 'running');
  state.applyEvents([finished('yes', 'NODE_SUCCEEDED', { attempt: 2 })]);
  assert.equal(states(state).yes, 'retried');
  assert.deepEqual(state.executionsOf('yes').map((e) => [e.attempt, e.result.status]),
    [[1, 'NODE_FAILED'], [2, 'NODE_SUCCEEDED']]);
  state.applyEvents([started('no'), finished('no', 'NODE_FAILED'),
    event('run_finished', { status: 'RUN_FAILED', failed_node_id: 'no',
      error: { code: 'RUNTIME_ERROR', message: 'boom' } })]);
  assert.equal(states(state).no, 'failed');
  assert.equal(state.run.failed_node_id, 'no');
});

test('the fetched run gives the first states; a replay from run_started replaces them', () => {
  const state = new RunState(WORKFLOW);
  state.applyRun({ status: 'RUN_RUNNING', nodes: [
    { node_id: 'start', attempt: 1, inputs: {}, result: result('NODE_SUCCEEDED') },
    { node_id: 'check', attempt: 1, inputs: {}, result: result('NODE_RUNNING') }] });
  assert.equal(states(state).start, 'succeeded');
  assert.equal(states(state).check, 'running');
  const changes = state.applyEvents([event('run_started', {}), started('start')]);
  assert.equal(state.run.status, 'RUN_RUNNING');
  assert.ok(changes.nodes.has('check'));
  assert.equal(states(state).check, 'pending');
  assert.equal(state.executionsOf('start').length, 1);
  // An event seen twice (a stream reopened) is applied once.
  const again = { ...started('check') };
  state.applyEvents([again]);
  state.applyEvents([again, finished('check', 'NODE_EXCEPTION')]);
  assert.equal(state.executionsOf('check').length, 1);
  assert.equal(states(state).check, 'exception');
});

test('replaying a finished run keeps its status', () => {
  const state = new RunState(WORKFLOW);
  state.applyRun({ status: 'RUN_FAILED', nodes: [] });
  state.applyEvents([event('run_started', {}), started('start')]);
  assert.equal(state.run.status, 'RUN_FAILED');
});

test('iteration sub-graphs are flattened with their parent', () => {
  const { nodes, edges } = flattenWorkflow({ nodes: [
    { id: 'it', title: 'Each', iteration: { nodes: [{ id: 'inner', code: {} }],
      edges: [{ source: 'it', target: 'inner' }] } }], edges: [] });
  assert.deepEqual(nodes.map((n) => [n.id, n.kind, n.parent]),
    [['it', 'iteration', ''], ['inner', 'code', 'it']]);
  assert.deepEqual(edges, [{ source: 'it', target: 'inner', handle: 'source' }]);
});
