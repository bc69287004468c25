'use strict';
// watch() across a scheduler restart, on the real binaries: while a run's
// code node runs, the scheduler is killed (SIGKILL) and started again on the
// same ports and store. The watch re-attaches by itself and yields every
// event once, in order, through runResumed to runFinished, and the run
// succeeds.

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const { Client } = require('../src');
const { LocalCluster } = require('./local_cluster');

let cluster;

before(async () => {
  cluster = await LocalCluster.start({
    schedulerBin: process.env.FLOWGRID_SCHEDULER_BIN, workerBin: process.env.FLOWGRID_WORKER_BIN,
  });
}, { timeout: 60000 });

after(() => cluster?.stop(), { timeout: 60000 });

const NAP = {
  name: 'nap',
  nodes: [
    { id: 'start', title: 'Start', start: {} },
    { id: 'nap', title: 'Nap', code: {
      language: 'PYTHON3',
      code: 'import time\n\ndef main() -> dict:\n    time.sleep(2)\n    return {"done": True}\n',
      outputs: { done: { kind: 'BOOLEAN' } } } },
    { id: 'end', title: 'End', end: { outputs: [{ name: 'done', selector: ['nap', 'done'] }] } },
  ],
  edges: [{ source: 'start', target: 'nap' }, { source: 'nap', target: 'end' }],
};

test('watch re-attaches across a scheduler restart and yields every event once',
  { timeout: 90000 }, async () => {
    const client = new Client(cluster.clientAddress, { timeoutMs: 30000 });
    try {
      const runId = await client.submit(NAP);
      const events = [];
      let restarted = false;
      for await (const event of client.watch(runId)) {
        events.push(event);
        if (!restarted && event.kind === 'nodeStarted' && event.nodeStarted.nodeId === 'nap') {
          await cluster.restartScheduler();
          restarted = true;
        }
      }
      assert.ok(restarted);
      assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1));
      const kinds = events.map((e) => e.kind);
      assert.ok(kinds.includes('runResumed'), kinds.join(' '));
      assert.equal(kinds.at(-1), 'runFinished');
      assert.equal(events.at(-1).runFinished.status, 'SUCCEEDED');
      const run = await client.get(runId);
      assert.equal(run.status, 'SUCCEEDED');
      assert.deepEqual(run.outputs, { done: true });
    } finally {
      client.close();
    }
  });
