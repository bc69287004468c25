import assert from 'node:assert/strict';
import { test } from 'node:test';

// api.js reads the key from sessionStorage on every request.
globalThis.sessionStorage = { getItem: () => null, setItem: () => {} };
const { watchRun } = await import('../src/lib/api.js');

function jsonResponse(status, body) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}
function eventStream(events) {
  const text = events.map((e) => `id: ${e.sequence}\ndata: ${JSON.stringify(e)}\n\n`).join('');
  return new Response(text, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

test('a stream refused for the watch rate (429) is opened again, not given up', async () => {
  const answers = [
    jsonResponse(429, { code: 'RESOURCE_EXHAUSTED', message: 'client 127.0.0.1 over 1 stream/s' }),
    eventStream([{ sequence: '1', run_started: {} }, { sequence: '2', run_finished: {} }]),
  ];
  const requested = [];
  globalThis.fetch = async (path) => { requested.push(path); return answers.shift(); };
  const events = [];
  await watchRun('r1', 0, (event) => events.push(event), new AbortController().signal, 10);
  assert.equal(requested.length, 2);
  assert.deepEqual(events.map((e) => e.sequence), ['1', '2']);
});

test('a stream refused as a bad request is not retried', async () => {
  let calls = 0;
  globalThis.fetch = async () => {
    calls += 1;
    return jsonResponse(404, { code: 'NOT_FOUND', message: 'run r2 not found' });
  };
  await assert.rejects(watchRun('r2', 0, () => {}, new AbortController().signal, 10),
    (error) => error.code === 'NOT_FOUND');
  assert.equal(calls, 1);
});
