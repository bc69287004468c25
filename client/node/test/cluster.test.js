'use strict';
// The client against a real local cluster: `flowgridctl dev` with
// flowgrid-scheduler and flowgrid-worker from the build (FLOWGRIDCTL_BIN,
// FLOWGRID_SCHEDULER_BIN, FLOWGRID_WORKER_BIN) on 127.0.0.1 — TLS on both
// ports, the worker authenticated by its client certificate, one API key —
// running Python and JavaScript code nodes; a missing or wrong key is
// UNAUTHENTICATED and a plaintext client gets nowhere.

const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { after, before, test } = require('node:test');
const { status } = require('../src');
const { DevCluster } = require('./dev_cluster');

const TEST_TIMEOUT_MS = 60000;
const REPO = path.resolve(__dirname, '..', '..', '..');

let cluster;
let client;

before(async () => {
  for (const name of ['FLOWGRIDCTL_BIN', 'FLOWGRID_SCHEDULER_BIN', 'FLOWGRID_WORKER_BIN']) {
    assert.ok(process.env[name] && fs.existsSync(process.env[name]), `${name} must name a binary`);
  }
  cluster = await DevCluster.start({
    flowgridctl: process.env.FLOWGRIDCTL_BIN, schedulerBin: process.env.FLOWGRID_SCHEDULER_BIN,
    workerBin: process.env.FLOWGRID_WORKER_BIN,
  });
  client = cluster.client({ timeoutMs: 20000 });
}, { timeout: 60000 });

after(async () => {
  client?.close();
  await cluster?.stop();
}, { timeout: 60000 });

const input = (name, selector) => ({ name, selector });

function codeNode(id, language, code, inputs, outputs) {
  return { id, title: id, code: { language, code, inputs, outputs } };
}

// start(name, count) -> Python (greeting, squares) -> JavaScript (total,
// shout, big) -> end.
const MIXED = {
  name: 'node_client_mixed',
  nodes: [
    { id: 'start', title: 'Start', start: { variables: [
      { name: 'name', type: { kind: 'STRING' }, required: true },
      { name: 'count', type: { kind: 'NUMBER' }, required: true }] } },
    codeNode('py', 'PYTHON3',
      'def main(name: str, count: int) -> dict:\n' +
      '    print("python saw", name)\n' +
      '    return {"greeting": f"Hello, {name}!", "squares": [i * i for i in range(count)]}\n',
      [input('name', ['start', 'name']), input('count', ['start', 'count'])],
      { greeting: { kind: 'STRING' }, squares: { kind: 'ARRAY_NUMBER' } }),
    codeNode('js', 'JAVASCRIPT',
      'function main({ greeting, squares }) {\n' +
      '  return { total: squares.reduce((a, b) => a + b, 0), shout: greeting.toUpperCase(),\n' +
      '           info: { n: squares.length, ok: true } };\n}\n',
      [input('greeting', ['py', 'greeting']), input('squares', ['py', 'squares'])],
      { total: { kind: 'NUMBER' }, shout: { kind: 'STRING' }, info: { kind: 'OBJECT' } }),
    { id: 'end', title: 'End', end: { outputs: [
      input('greeting', ['py', 'greeting']), input('total', ['js', 'total']),
      input('shout', ['js', 'shout']), input('info', ['js', 'info']),
      input('echo', ['start', 'count'])] } },
  ],
  edges: [{ source: 'start', target: 'py' }, { source: 'py', target: 'js' },
    { source: 'js', target: 'end' }],
};

// start(variables) -> one code node `body` reading them all -> end (its
// output `out`).
function oneNode(name, language, code, variables = {}) {
  const names = Object.keys(variables);
  return {
    name,
    nodes: [
      { id: 'start', title: 'Start', start: { variables: names.map((n) =>
        ({ name: n, type: { kind: variables[n] }, required: true })) } },
      codeNode('body', language, code, names.map((n) => input(n, ['start', n])),
        { out: { kind: 'ANY' } }),
      { id: 'end', title: 'End', end: { outputs: [input('out', ['body', 'out'])] } },
    ],
    edges: [{ source: 'start', target: 'body' }, { source: 'body', target: 'end' }],
  };
}

test('a workflow with Python and JavaScript nodes streams its events and returns its outputs',
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const events = [];
    const result = await client.run(MIXED, { name: 'Ada', count: 4 },
      { onEvent: (e) => events.push(e) });
    assert.equal(result.status, 'SUCCEEDED', JSON.stringify(result.error));
    assert.deepEqual(result.outputs, {
      greeting: 'Hello, Ada!', total: 14, shout: 'HELLO, ADA!', info: { n: 4, ok: true }, echo: 4,
    });
    assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1));
    assert.equal(events[0].kind, 'runStarted');
    assert.deepEqual(events[0].runStarted.inputs, { name: 'Ada', count: 4 });
    assert.equal(events.at(-1).kind, 'runFinished');
    const py = result.nodes.find((n) => n.nodeId === 'py');
    assert.equal(py.result.status, 'SUCCEEDED');
    assert.deepEqual(py.result.outputs.squares, [0, 1, 4, 9]);
    assert.equal(py.result.stdout, 'python saw Ada\n');
    assert.ok(py.result.usage.wallUs > 0);
    assert.deepEqual(result.nodes.map((n) => n.nodeId), ['start', 'py', 'js', 'end']);

    // The same run, read back and found in the history.
    const record = await client.get(result.runId);
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.workflowName, 'node_client_mixed');
    assert.deepEqual(record.outputs, result.outputs);
    assert.ok(record.finishedAt instanceof Date && record.finishedAt >= record.createdAt);
    const page = await client.list({ pageSize: 50, status: 'succeeded' });
    assert.ok(page.runs.some((r) => r.runId === result.runId));
    assert.ok(page.runs.every((r) => r.status === 'SUCCEEDED'));
    await assert.rejects(client.list({ status: 'DONE' }),
      /unknown run status "DONE"; one of PENDING, RUNNING, SUCCEEDED/);
  });

test('64-bit integers pass through a Python node exactly', { timeout: TEST_TIMEOUT_MS }, async () => {
  const result = await client.run(oneNode('int64', 'PYTHON3',
    'def main(v: int) -> dict:\n    return {"out": [v + 1, -v - 2]}\n', { v: 'NUMBER' }),
  { v: 9007199254740992n });
  assert.equal(result.status, 'SUCCEEDED', JSON.stringify(result.error));
  assert.deepEqual(result.outputs.out, [9007199254740993n, -9007199254740994n]);
});

test('a failing node fails the run with its error and traceback', { timeout: TEST_TIMEOUT_MS },
  async () => {
    const result = await client.run(oneNode('failing', 'PYTHON3',
      'def main() -> dict:\n    raise ValueError("no such customer")\n'));
    assert.equal(result.status, 'FAILED');
    assert.equal(result.failedNodeId, 'body');
    assert.equal(result.error.code, 'RUNTIME_ERROR');
    assert.match(result.error.message, /no such customer/);
    const body = result.nodes.find((n) => n.nodeId === 'body');
    assert.equal(body.result.status, 'FAILED');
    assert.match(body.result.error.traceback, /ValueError: no such customer/);

    const js = await client.run(oneNode('failing_js', 'JAVASCRIPT',
      'function main() {\n  throw new TypeError("bad order");\n}\n'));
    assert.equal(js.status, 'FAILED');
    assert.equal(js.error.code, 'RUNTIME_ERROR');
    assert.match(js.error.message, /bad order/);
  });

test('an invalid workflow: submit is INVALID_ARGUMENT with every problem, validate lists them',
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const broken = oneNode('broken', 'PYTHON3', 'def main() -> dict:\n    return {"out": 1}\n');
    broken.edges.push({ source: 'body', target: 'nowhere' });
    broken.edges.push({ source: 'start', target: 'elsewhere' });
    await assert.rejects(client.submit(broken, {}), (error) => {
      assert.equal(error.code, status.INVALID_ARGUMENT);
      assert.match(error.details, /nowhere/);
      assert.match(error.details, /elsewhere/);
      return true;
    });
    const report = await client.validate(broken);
    assert.equal(report.valid, false);
    assert.deepEqual(report.diagnostics.map((d) => d.nodeId).sort(), ['elsewhere', 'nowhere']);
    assert.match(report.diagnostics[0].message, /is not a node/);

    const good = await client.validate(path.join(REPO, 'examples', 'workflows', 'hello.json'));
    assert.deepEqual(good, { valid: true, diagnostics: [], order: ['start', 'greet', 'end'] });
    await assert.rejects(client.get('no-such-run'), { code: status.NOT_FOUND });
  });

test('cancel stops a running run', { timeout: TEST_TIMEOUT_MS }, async () => {
  const runId = await client.submit(oneNode('sleeper', 'PYTHON3',
    'import time\n\ndef main() -> dict:\n    time.sleep(50)\n    return {"out": 1}\n'));
  const seen = [];
  for await (const event of client.watch(runId)) {
    seen.push(event.kind);
    if (event.kind === 'nodeStarted' && event.nodeStarted.nodeId === 'body') {
      const record = await client.cancel(runId);
      assert.equal(record.runId, runId);
    }
    if (event.kind === 'runFinished') {
      assert.equal(event.runFinished.status, 'CANCELLED');
    }
  }
  assert.equal(seen.at(-1), 'runFinished');
  assert.equal((await client.get(runId)).status, 'CANCELLED');
  await assert.rejects(client.cancel(runId), { code: status.FAILED_PRECONDITION });
});

test('watch from a later sequence, and the same idempotency key, return what exists',
  { timeout: TEST_TIMEOUT_MS }, async () => {
    const workflow = path.join(REPO, 'examples', 'workflows', 'hello.json');
    const key = `node-client-test-${process.pid}`;
    const first = await client.submit(workflow, { name: 'Bo' }, { idempotencyKey: key });
    assert.equal(await client.submit(workflow, { name: 'Bo' }, { idempotencyKey: key }), first);
    const all = [];
    for await (const event of client.watch(first)) all.push(event);
    const tail = [];
    for await (const event of client.watch(first, { afterSequence: 2 })) tail.push(event);
    assert.deepEqual(tail, all.slice(2));
    assert.deepEqual(all.at(-1).runFinished.outputs, { greeting: 'Hello, Bo!' });
  });

test('system variables reach the run; runNode runs one node alone', { timeout: TEST_TIMEOUT_MS },
  async () => {
    const sys = await client.run({
      name: 'sys_query',
      nodes: [{ id: 'start', title: 'Start', start: {} },
        { id: 'end', title: 'End', end: { outputs: [input('q', ['sys', 'query']),
          input('user', ['sys', 'user_id'])] } }],
      edges: [{ source: 'start', target: 'end' }],
    }, {}, { system: { query: 'what is flowgrid?', user_id: 'u-1' } });
    assert.equal(sys.status, 'SUCCEEDED', JSON.stringify(sys.error));
    assert.deepEqual(sys.outputs, { q: 'what is flowgrid?', user: 'u-1' });

    const node = await client.runNode(MIXED, 'js', { greeting: 'hey', squares: [1, 2] });
    assert.equal(node.result.status, 'SUCCEEDED', JSON.stringify(node.result.error));
    assert.deepEqual(node.result.outputs, { total: 3, shout: 'HEY', info: { n: 2, ok: true } });
    const failed = await client.runNode(oneNode('failing', 'JAVASCRIPT',
      'function main() {\n  throw new Error("nope");\n}\n'), 'body', {});
    assert.equal(failed.result.status, 'FAILED');
    assert.equal(failed.result.error.code, 'RUNTIME_ERROR');
    assert.match(failed.result.error.message, /nope/);
  });

test('a missing or wrong API key is UNAUTHENTICATED on every call', { timeout: TEST_TIMEOUT_MS },
  async () => {
    const wrongKey = `wrong-key-${process.pid}-0123456789`;
    for (const apiKey of ['', wrongKey]) {
      const refused = cluster.client({ apiKey, timeoutMs: 10000 });
      try {
        const calls = [refused.list(), refused.listWorkers(),
          refused.submit(path.join(REPO, 'examples', 'workflows', 'hello.json'), { name: 'x' }),
          (async () => { for await (const event of refused.watch('any-run')) assert.fail(event); })()];
        for (const call of calls) {
          await assert.rejects(call, (error) => {
            assert.equal(error.code, status.UNAUTHENTICATED, error.message);
            assert.doesNotMatch(error.message, new RegExp(wrongKey));
            return true;
          });
        }
      } finally {
        refused.close();
      }
    }
  });

test('a plaintext client gets nowhere', { timeout: TEST_TIMEOUT_MS }, async () => {
  const plaintext = cluster.client({ tlsCa: '', retries: 0, timeoutMs: 3000 });
  try {
    await assert.rejects(plaintext.list(), { code: status.UNAVAILABLE });
  } finally {
    plaintext.close();
  }
});

function runExample(args, env = {}) {
  const example = path.join(__dirname, '..', 'examples', 'run-workflow.js');
  return new Promise((resolve) => execFile(process.execPath, [example, ...args,
    cluster.clientAddress, path.join(REPO, 'examples', 'workflows', 'javascript.json'),
    '{"text": "to be or not"}'], { timeout: 30000, env: { ...process.env, ...env } },
  (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr })));
}

test('the example program runs a workflow file', { timeout: TEST_TIMEOUT_MS }, async () => {
  const byFlags = await runExample(['--tls_ca', cluster.tlsCa, '--api_key_file', cluster.apiKeyFile]);
  const byEnvironment = await runExample([],
    { FLOWGRID_TLS_CA: cluster.tlsCa, FLOWGRID_API_KEY_FILE: cluster.apiKeyFile });
  for (const { code, stdout, stderr } of [byFlags, byEnvironment]) {
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), {
      word_count: 4, longest: 'not', shouted: 'TO BE OR NOT', lengths: [2, 2, 2, 3],
    });
    assert.match(stderr, /\[stats\] succeeded/);
    assert.match(stderr, /counted 4 words/);
  }
  const noKey = await runExample(['--tls_ca', cluster.tlsCa]);
  assert.equal(noKey.code, 2, noKey.stdout);
  assert.match(noKey.stderr, /UNAUTHENTICATED/);
});
