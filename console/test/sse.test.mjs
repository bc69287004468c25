import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SseParser } from '../src/lib/sse.js';

test('events split across chunks and line endings', () => {
  const events = [];
  const parser = new SseParser((event) => events.push(event));
  parser.push('id: 1\ndata: {"a"');
  assert.deepEqual(events, []);
  parser.push(':1}\n\n: a comment\r\nid: 2\r\ndata: x\r\ndata: y\r');
  assert.deepEqual(events, [{ type: 'message', id: '1', data: '{"a":1}' }]);
  parser.push('\n\r\nevent: error\ndata: {}\n\n');
  assert.deepEqual(events, [{ type: 'message', id: '1', data: '{"a":1}' },
    { type: 'message', id: '2', data: 'x\ny' }, { type: 'error', id: '2', data: '{}' }]);
});

test('a block without data is no event', () => {
  const events = [];
  const parser = new SseParser((event) => events.push(event));
  parser.push('id: 7\n\nretry: 10\n\n');
  assert.deepEqual(events, []);
});
