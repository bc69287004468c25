'use strict';
// A stand-in for the scheduler's console gateway: serves the built console
// (index.html for every path outside /api/, as the scheduler does) and
// GET /api/v1/runs/{id} and /events for fixed runs, streaming the events
// at a chosen pace, optionally behind an API key. The large-run test feeds
// a 1,000-node run through it at a rate no cluster on this machine reaches;
// the API key test checks the page's key prompt against it. The acceptance
// tests (browser.test.js) run against the real scheduler.

const fs = require('node:fs');
const { createServer } = require('node:http');
const path = require('node:path');

const TYPES = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

/**
 * @param {{distDir: string, runs: {run: object, events: object[]}[],
 *          eventsPerTick: number, tickMs: number, apiKey?: string}} options
 *   apiKey: when set, /api/ answers 401 unless `Authorization: Bearer <apiKey>`
 * @returns {Promise<{url: string, close: () => Promise<void>, authorizations: string[]}>}
 *   authorizations: the Authorization header of every /api/ request
 */
async function startFakeApi({ distDir, runs, eventsPerTick, tickMs, apiKey = '' }) {
  const authorizations = [];
  const byId = new Map(runs.map((entry) => [entry.run.run_id, entry]));
  const timers = new Set();
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://localhost');
    if (!url.pathname.startsWith('/api/')) {
      const file = path.join(distDir, path.normalize(url.pathname));
      const served = file.startsWith(distDir) && fs.existsSync(file) && fs.statSync(file).isFile()
        ? file : path.join(distDir, 'index.html');
      response.writeHead(200, { 'Content-Type': TYPES[path.extname(served)] ?? 'application/octet-stream' });
      fs.createReadStream(served).pipe(response);
      return;
    }
    authorizations.push(request.headers.authorization ?? '');
    if (apiKey && request.headers.authorization !== `Bearer ${apiKey}`) {
      response.writeHead(401, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ code: 'UNAUTHENTICATED',
        message: request.headers.authorization ? 'unknown API key' : 'missing API key' }));
      return;
    }
    const match = url.pathname.match(/^\/api\/v1\/runs\/([^/]+)(\/events)?$/);
    const entry = match && byId.get(decodeURIComponent(match[1]));
    if (!entry) {
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ code: 'NOT_FOUND', message: `no ${url.pathname} here` }));
      return;
    }
    if (!match[2]) {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(entry.run));
      return;
    }
    const after = Number(url.searchParams.get('after_sequence') ?? 0);
    const pending = entry.events.filter((event) => Number(event.sequence) > after);
    response.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const stop = () => {
      clearInterval(timer);
      timers.delete(timer);
    };
    const timer = setInterval(() => {
      for (const event of pending.splice(0, eventsPerTick)) {
        response.write(`id: ${event.sequence}\ndata: ${JSON.stringify(event)}\n\n`);
      }
      if (pending.length === 0) {
        stop();
        response.end();
      }
    }, tickMs);
    timers.add(timer);
    request.on('close', stop);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    authorizations,
    close: () => new Promise((resolve) => {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

/**
 * A run of `count` nodes: start -> `width` parallel chains of code nodes ->
 * end, and the events of a run that goes through it rank by rank (every
 * node of a rank starts, then they all succeed). The run as fetched has no
 * node execution yet: all of it comes by events.
 */
function largeRun(runId, count, width) {
  const codeCount = count - 2;
  const nodes = [{ id: 'start', title: 'Start', start: {} }];
  const edges = [];
  for (let i = 0; i < codeCount; ++i) {
    nodes.push({ id: `n${i}`, title: `step ${i}`,
      code: { language: 'PYTHON3', code: 'def main() -> dict:\n    return {}\n' } });
    edges.push({ source: i < width ? 'start' : `n${i - width}`, source_handle: '', target: `n${i}` });
    if (i + width >= codeCount) edges.push({ source: `n${i}`, source_handle: '', target: 'end' });
  }
  nodes.push({ id: 'end', title: 'End', end: {} });

  const time = new Date().toISOString();
  const events = [];
  const add = (body) => events.push({ run_id: runId, sequence: String(events.length + 1), time, ...body });
  add({ run_started: { inputs: {} } });
  const ranks = [['start']];
  for (let i = 0; i < codeCount; i += width) {
    ranks.push(nodes.slice(1 + i, 1 + Math.min(i + width, codeCount)).map((n) => n.id));
  }
  ranks.push(['end']);
  for (const rank of ranks) {
    for (const node_id of rank) add({ node_started: { node_id, attempt: 1, inputs: {} } });
    for (const node_id of rank) {
      add({ node_finished: { node_id, attempt: 1, inputs: {}, branch: '', result: {
        status: 'NODE_SUCCEEDED', outputs: {}, stdout: '', stderr: '', warnings: [],
        usage: { wall_us: '1000', cpu_us: '800', peak_memory_bytes: '1048576' } } } });
    }
  }
  add({ run_finished: { status: 'RUN_SUCCEEDED', outputs: {} } });
  const workflow = { name: `large_${count}`, nodes, edges, environment: [] };
  return {
    run: { run_id: runId, workflow_name: workflow.name, status: 'RUN_RUNNING', inputs: {},
      outputs: {}, failed_node_id: '', nodes: [], created_at: time, workflow },
    events,
  };
}

module.exports = { startFakeApi, largeRun };
