'use strict';
// The client's retries and watch re-attaches against a fake WorkflowService
// (grpc-js server on 127.0.0.1) that fails on purpose.

const assert = require('node:assert/strict');
const path = require('node:path');
const { after, before, test } = require('node:test');
const grpc = require('@grpc/grpc-js');
const { Client, FlowgridError, status } = require('../src');
const { backoffDelayMs } = require('../src/retry');
const { loadFlowgridV1 } = require('../src/protos');

const WORKFLOW = { name: 'w' };
let server;
let address;
// Per test: what the fake does with each call (an array of handlers, one
// per attempt) and what it received.
let submitHandlers = [];
let watchHandlers = [];
let received = [];

function failure(code, details, retryAfterMs) {
  const metadata = new grpc.Metadata();
  if (retryAfterMs !== undefined) metadata.set('retry-after-ms', String(retryAfterMs));
  return { code, details, metadata };
}

function event(sequence, kind, payload) {
  return { runId: 'r1', sequence: String(sequence), [kind]: payload };
}

before(async () => {
  server = new grpc.Server();
  server.addService(loadFlowgridV1().v1.WorkflowService.service, {
    submitRun(call, callback) {
      received.push({ at: Date.now(), request: call.request });
      const handler = submitHandlers.shift();
      if (!handler) callback(failure(status.INTERNAL, 'no handler left'));
      else handler(callback);
    },
    watchRun(call) {
      received.push({ at: Date.now(), request: call.request });
      const handler = watchHandlers.shift();
      if (!handler) call.emit('error', failure(status.INTERNAL, 'no handler left'));
      else handler(call);
    },
  });
  const port = await new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0',
    grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  address = `127.0.0.1:${port}`;
});

after(() => server.forceShutdown());

function reset() {
  submitHandlers = [];
  watchHandlers = [];
  received = [];
}

test('submit retries RESOURCE_EXHAUSTED, waiting at least retry-after-ms, with one generated key', async () => {
  reset();
  submitHandlers = [
    (cb) => cb(failure(status.RESOURCE_EXHAUSTED, 'too many active runs', 300)),
    (cb) => cb(failure(status.UNAVAILABLE, 'restarting')),
    (cb) => cb(null, { runId: 'r1', existing: false }),
  ];
  const client = new Client(address, { initialBackoffMs: 10 });
  try {
    assert.equal(await client.submit(WORKFLOW, { n: 1 }), 'r1');
  } finally {
    client.close();
  }
  assert.equal(received.length, 3);
  assert.ok(received[1].at - received[0].at >= 300, `waited ${received[1].at - received[0].at} ms`);
  const keys = new Set(received.map((r) => r.request.idempotencyKey));
  assert.equal(keys.size, 1);
  assert.match([...keys][0], /^sdk-[0-9a-f]{32}$/);
  assert.deepEqual(received[0].request.inputs.n, { kind: 'intValue', intValue: '1' });
});

test('the caller\'s idempotency key is sent as given (protos from protoDir)', async () => {
  reset();
  submitHandlers = [(cb) => cb(null, { runId: 'r1' })];
  const protoDir = path.resolve(__dirname, '..', '..', '..', 'proto');
  assert.throws(() => new Client(address, { protoDir: __dirname }), /flowgrid\/v1\/scheduler\.proto/);
  const client = new Client(address, { protoDir });
  try {
    await client.submit(WORKFLOW, {}, { idempotencyKey: 'order-17' });
  } finally {
    client.close();
  }
  assert.equal(received[0].request.idempotencyKey, 'order-17');
});

test('retries give up after the configured count, saying so and keeping the code', async () => {
  reset();
  submitHandlers = Array(3).fill((cb) => cb(failure(status.RESOURCE_EXHAUSTED, 'full', 5)));
  const client = new Client(address, { retries: 2 });
  try {
    await assert.rejects(client.submit(WORKFLOW), (error) => {
      assert.ok(error instanceof FlowgridError);
      assert.equal(error.code, status.RESOURCE_EXHAUSTED);
      assert.equal(error.codeName, 'RESOURCE_EXHAUSTED');
      assert.equal(error.details, 'full (gave up after 3 attempts)');
      assert.equal(error.retryAfterMs, 5);
      return true;
    });
  } finally {
    client.close();
  }
  assert.equal(received.length, 3);
});

test('retries: 0 makes one attempt and sends no generated key', async () => {
  reset();
  submitHandlers = [(cb) => cb(failure(status.UNAVAILABLE, 'down'))];
  const client = new Client(address, { retries: 0 });
  try {
    await assert.rejects(client.submit(WORKFLOW), { code: status.UNAVAILABLE, details: 'down' });
  } finally {
    client.close();
  }
  assert.equal(received.length, 1);
  assert.equal(received[0].request.idempotencyKey, '');
});

test('other errors are not retried', async () => {
  reset();
  submitHandlers = [(cb) => cb(failure(status.INVALID_ARGUMENT, 'workflow is invalid'))];
  const client = new Client(address);
  try {
    await assert.rejects(client.submit(WORKFLOW),
      { code: status.INVALID_ARGUMENT, message: 'INVALID_ARGUMENT: workflow is invalid' });
  } finally {
    client.close();
  }
  assert.equal(received.length, 1);
});

test('the backoff doubles up to its maximum, stretched by at most half', () => {
  const policy = { retries: 9, initialBackoffMs: 100, maxBackoffMs: 500 };
  const plain = new FlowgridError(status.UNAVAILABLE, 'x');
  assert.equal(backoffDelayMs(policy, 1, plain, 0), 100);
  assert.equal(backoffDelayMs(policy, 3, plain, 0), 400);
  assert.equal(backoffDelayMs(policy, 4, plain, 0), 500);
  assert.equal(backoffDelayMs(policy, 1, plain, 0.5), 125);
  const told = new FlowgridError(status.RESOURCE_EXHAUSTED, 'x', { retryAfterMs: 2000 });
  assert.equal(backoffDelayMs(policy, 1, told, 0), 2000);
});

test('watch re-attaches after the last event it yielded when the stream breaks', async () => {
  reset();
  watchHandlers = [
    (call) => {
      call.write(event(1, 'runStarted', { inputs: {} }));
      call.write(event(2, 'nodeStarted', { nodeId: 'a', attempt: 1 }));
      setTimeout(() => call.emit('error', failure(status.UNAVAILABLE, 'scheduler stopping')), 20);
    },
    (call) => call.emit('error', failure(status.UNAVAILABLE, 'connection refused')),
    (call) => {
      // A re-sent event is yielded once only.
      call.write(event(2, 'nodeStarted', { nodeId: 'a', attempt: 1 }));
      call.write(event(3, 'runFinished', { status: 'RUN_SUCCEEDED',
        outputs: { x: { intValue: '5' } } }));
      call.end();
    },
  ];
  const client = new Client(address, { watchInitialBackoffMs: 10 });
  const events = [];
  try {
    for await (const e of client.watch('r1')) events.push(e);
  } finally {
    client.close();
  }
  assert.deepEqual(events.map((e) => [e.sequence, e.kind]),
    [[1, 'runStarted'], [2, 'nodeStarted'], [3, 'runFinished']]);
  assert.deepEqual(events[2].runFinished.outputs, { x: 5 });
  assert.deepEqual(received.map((r) => r.request.afterSequence), ['0', '2', '2']);
});

test('watch gives up after watchReattempts breaks in a row, saying so', async () => {
  reset();
  watchHandlers = Array(3).fill((call) => call.emit('error', failure(status.UNAVAILABLE, 'down')));
  const client = new Client(address, { watchReattempts: 2, watchInitialBackoffMs: 1 });
  try {
    await assert.rejects(async () => {
      for await (const e of client.watch('r1', { afterSequence: 7 })) assert.fail(`got ${e.kind}`);
    }, { code: status.UNAVAILABLE, details: `WatchRun of run r1 from ${address} failed 3 times ` +
      'in a row without an event (last sequence 7): down' });
  } finally {
    client.close();
  }
  assert.deepEqual(received.map((r) => r.request.afterSequence), ['7', '7', '7']);
});

test('watch refused for now (RESOURCE_EXHAUSTED) comes back after retry-after-ms', async () => {
  reset();
  const refused = (call) => call.emit('error',
    failure(status.RESOURCE_EXHAUSTED, 'too many watch streams', 250));
  watchHandlers = [
    refused,
    (call) => {
      call.write(event(1, 'runFinished', { status: 'RUN_CANCELLED' }));
      call.end();
    },
    refused, refused,
  ];
  const client = new Client(address, { watchReattempts: 1, watchInitialBackoffMs: 1 });
  try {
    const events = [];
    for await (const e of client.watch('r1')) events.push(e);
    assert.deepEqual(events.map((e) => e.runFinished.status), ['CANCELLED']);
    assert.ok(received[1].at - received[0].at >= 250, `waited ${received[1].at - received[0].at} ms`);
    // Giving up keeps the code and the scheduler's delay.
    await assert.rejects(async () => {
      for await (const e of client.watch('r1')) assert.fail(`got ${e.kind}`);
    }, (error) => {
      assert.equal(error.code, status.RESOURCE_EXHAUSTED);
      assert.equal(error.retryAfterMs, 250);
      assert.match(error.details, /failed 2 times in a row .*: too many watch streams$/);
      return true;
    });
  } finally {
    client.close();
  }
});

test('a stream that ends without run_finished is INTERNAL, naming the run and sequence', async () => {
  reset();
  watchHandlers = [(call) => {
    call.write(event(1, 'runStarted', { inputs: {} }));
    call.end();
  }];
  const client = new Client(address);
  try {
    await assert.rejects(async () => {
      for await (const e of client.watch('r1')) assert.equal(e.sequence, 1);
    }, { code: status.INTERNAL,
      details: 'the event stream of run r1 ended after sequence 1 without run_finished' });
  } finally {
    client.close();
  }
});
