'use strict';
// The console in headless Chromium against a real local cluster (the
// acceptance cases of issue #10): the runs list, a diamond's graph and
// colors, a failing node's traceback, a live run turning running ->
// succeeded without a reload, cancel, and re-run.

const assert = require('node:assert/strict');
const { after, afterEach, before, test } = require('node:test');
const { diamond, failingDiamond, ifElse, sleeper, startConsoleCluster } = require('./console_cluster');

const STEP_MS = 20000;  // the longest a page may take to show one change

let env;
let page;
let okRun;
let failedRun;
let branchRun;
const pageErrors = [];

before(async () => {
  env = await startConsoleCluster();
  const ok = await env.client.run(diamond(), { n: 2000 });
  assert.equal(ok.status, 'SUCCEEDED', JSON.stringify(ok.error));
  okRun = ok.runId;
  const failed = await env.client.run(failingDiamond(), { n: 3 });
  assert.equal(failed.status, 'FAILED');
  failedRun = failed.runId;
  const branched = await env.client.run(ifElse(), { score: 72, tag: 'retake' });
  assert.equal(branched.status, 'SUCCEEDED', JSON.stringify(branched.error));
  branchRun = branched.runId;
  page = await env.browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(STEP_MS);
  page.on('pageerror', (error) => pageErrors.push(error.message));
}, { timeout: 120000 });

afterEach(() => {
  assert.deepEqual(pageErrors.splice(0), [], 'errors thrown in the page');
});

after(async () => {
  await env?.stop();
}, { timeout: 60000 });

/** The state classes of every drawn node, by node id. */
async function nodeStates() {
  return page.$$eval('svg.graph g[data-node-id]', (groups) => Object.fromEntries(groups.map((g) =>
    [g.dataset.nodeId, g.getAttribute('class').split(' ').filter((c) => c !== 'node' && c !== 'selected')[0]])));
}

async function waitForNodeState(nodeId, state) {
  await page.waitForSelector(`svg.graph g[data-node-id="${nodeId}"].${state}`);
}

test('the runs list shows the finished and the failing run', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/runs`);
  const okRow = page.locator(`tr[data-run-id="${okRun}"]`);
  const failedRow = page.locator(`tr[data-run-id="${failedRun}"]`);
  await okRow.waitFor();
  assert.equal(await okRow.locator('.badge').textContent(), 'succeeded');
  assert.match(await okRow.textContent(), /diamond/);
  assert.match(await okRow.locator('td.num').textContent(), /\d+(\.\d+)? (ms|s)/);
  assert.equal(await failedRow.locator('.badge').textContent(), 'failed');
  assert.match(await failedRow.textContent(), /join cannot take 10/);

  // The status filter keeps only the failing run.
  await page.selectOption('select[name=status]', 'RUN_FAILED');
  await page.click('form.filters button[type=submit]');
  await okRow.waitFor({ state: 'detached' });
  assert.equal(await failedRow.count(), 1);
});

test('the run detail draws every node of the diamond in its state', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/runs/${okRun}`);
  await waitForNodeState('end', 'succeeded');
  const expected = Object.fromEntries(diamond().nodes.map((n) => [n.id, 'succeeded']));
  assert.deepEqual(await nodeStates(), expected);
  assert.equal(await page.locator('svg.graph path.edge.taken').count(), diamond().edges.length);

  await page.goto(`${env.consoleUrl}/runs/${failedRun}`);
  await waitForNodeState('join', 'failed');
  assert.deepEqual(await nodeStates(),
    { start: 'succeeded', left: 'succeeded', right: 'succeeded', join: 'failed', end: 'pending' });
  await page.waitForSelector('.run-status.failed');

  // The if-else took its "pass" case: the other two branches are skipped.
  await page.goto(`${env.consoleUrl}/runs/${branchRun}`);
  await waitForNodeState('end', 'succeeded');
  assert.deepEqual(await nodeStates(), { start: 'succeeded', grade: 'succeeded',
    top_message: 'skipped', pass_message: 'succeeded', fail_message: 'skipped',
    pick: 'succeeded', end: 'succeeded' });
  assert.equal(await page.locator('svg.graph path.edge.skipped').count(), 4);
});

test('clicking the failing node shows its traceback, inputs and output', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/runs/${failedRun}`);
  await page.click('svg.graph g[data-node-id="join"]');
  const panel = page.locator('.node-panel[data-node-id="join"]');
  await panel.waitFor();
  const traceback = await panel.locator('pre.traceback').textContent();
  assert.match(traceback, /in check/);
  assert.match(traceback, /ValueError: join cannot take 10/);
  assert.match(await panel.locator('pre.inputs').textContent(), /"a": 4,\s+"b": 6/);
  assert.match(await panel.locator('pre.stdout').textContent(), /joining 4 6/);
  assert.match(await panel.locator('.usage').textContent(), /wall.*CPU.*peak memory/s);

  await page.click('svg.graph g[data-node-id="right"]');
  await page.locator('.node-panel[data-node-id="right"] pre.outputs').waitFor();
  assert.match(await page.locator('.node-panel pre.outputs').textContent(), /"v": 6/);
});

test('the runs list follows a run in progress without a reload', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/runs`);
  await page.evaluate(() => { window.sameDocument = true; });
  const runId = await env.client.submit(sleeper('console_list_live', 4));
  const badge = page.locator(`tr[data-run-id="${runId}"] .badge`);
  await page.waitForSelector(`tr[data-run-id="${runId}"] .badge.running`);
  await page.waitForSelector(`tr[data-run-id="${runId}"] .badge.succeeded`);
  assert.equal(await badge.textContent(), 'succeeded');
  assert.equal(await page.evaluate(() => window.sameDocument), true);
});

test('a live run turns running, then succeeded, without a reload', { timeout: 60000 }, async () => {
  const runId = await env.client.submit(sleeper('console_live', 4));
  await page.goto(`${env.consoleUrl}/runs/${runId}`);
  await page.evaluate(() => { window.sameDocument = true; });
  await waitForNodeState('nap', 'running');
  await waitForNodeState('nap', 'succeeded');
  await waitForNodeState('end', 'succeeded');
  await page.waitForSelector('.run-status.succeeded');
  assert.equal(await page.evaluate(() => window.sameDocument), true);
});

test('cancel ends a running run', { timeout: 60000 }, async () => {
  const runId = await env.client.submit(sleeper('console_cancel', 60));
  await page.goto(`${env.consoleUrl}/runs/${runId}`);
  await waitForNodeState('nap', 'running');
  await page.click('button.cancel');
  await page.waitForSelector('.run-status.cancelled');
  assert.equal((await env.client.get(runId)).status, 'CANCELLED');
  assert.equal(await page.locator('button.cancel').isDisabled(), true);
});

test('re-run starts the same workflow with the same inputs', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/runs/${failedRun}`);
  await page.click('button.rerun');
  await page.waitForURL((url) => url.pathname.startsWith('/runs/') && !url.pathname.endsWith(failedRun));
  const newRun = new URL(page.url()).pathname.split('/').pop();
  await waitForNodeState('join', 'failed');
  const run = await env.client.get(newRun);
  assert.equal(run.workflowName, 'console_failing_diamond');
  assert.deepEqual(run.inputs, { n: 3 });
});

test('the workers page shows the worker and its slots', { timeout: 60000 }, async () => {
  await page.goto(`${env.consoleUrl}/workers`);
  const row = page.locator('tr[data-worker-id]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.textContent(), /connected/);
  assert.match(await row.locator('.slot-text').textContent(), /\d+ busy \/ \d+ free/);
  assert.equal(await row.locator('.slot').count(), 3);
});
