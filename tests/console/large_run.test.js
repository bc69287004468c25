'use strict';
// A 1,000-node run in headless Chromium: drawn once, then 2,000 node events
// streamed at about 1,000 per second. Checks that every node ends in its
// final state, that the drawing is never rebuilt (the same SVG elements
// throughout) and that events are applied in per-frame batches; prints the
// timings (layout, the slowest batch, long tasks) without asserting them.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test } = require('node:test');
const { chromium } = require('playwright-core');
const { largeRun, startFakeApi } = require('./fake_api');

const NODES = 1000;

test('a 1,000-node run renders once and updates incrementally', { timeout: 120000 }, async () => {
  const distDir = process.env.FLOWGRID_CONSOLE_DIST;
  assert.ok(distDir && fs.existsSync(`${distDir}/index.html`), 'FLOWGRID_CONSOLE_DIST must name the built console');
  const fixture = largeRun('large', NODES, 20);
  const api = await startFakeApi({ distDir, runs: [fixture], eventsPerTick: 16, tickMs: 16 });
  const browser = await chromium.launch({ executablePath: process.env.FLOWGRID_CHROMIUM || '/usr/bin/chromium' });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.addInitScript(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
      }).observe({ type: 'longtask', buffered: true });
    });
    const started = Date.now();
    await page.goto(`${api.url}/runs/large`);
    await page.waitForSelector('svg.graph g[data-node-id="end"]', { timeout: 60000 });
    const drawnMs = Date.now() - started;
    assert.equal(await page.locator('svg.graph g[data-node-id]').count(), NODES);
    // Marks the first node's element: a rebuilt drawing would lose the mark.
    await page.evaluate(() => { document.querySelector('g[data-node-id="n0"]').marked = true; });

    await page.waitForSelector('svg.graph g[data-node-id="end"].succeeded', { timeout: 60000 });
    const doneMs = Date.now() - started;
    assert.equal(await page.locator('svg.graph g[data-node-id].succeeded').count(), NODES);
    assert.equal(await page.locator('.legend .count[data-state="succeeded"]').textContent(), String(NODES));
    assert.equal(await page.evaluate(() => document.querySelector('g[data-node-id="n0"]').marked), true);

    const timings = await page.evaluate(() => {
      const measures = (name) => performance.getEntriesByName(name);
      const batches = measures('flowgrid.events');
      return {
        layoutMs: Math.round(measures('flowgrid.layout')[0].duration),
        batches: batches.length,
        events: batches.reduce((sum, m) => sum + m.detail.events, 0),
        slowestBatchMs: Math.round(Math.max(...batches.map((m) => m.duration)) * 10) / 10,
        longTasksMs: window.longTasks,
      };
    });
    assert.equal(timings.events, fixture.events.length);
    // Batched: fewer repaints than events.
    assert.ok(timings.batches < timings.events, JSON.stringify(timings));
    console.log(`large run: ${NODES} nodes drawn in ${drawnMs} ms (layout ${timings.layoutMs} ms), ` +
      `${timings.events} events in ${timings.batches} frames, slowest frame batch ` +
      `${timings.slowestBatchMs} ms, all succeeded after ${doneMs} ms; long tasks (ms): ` +
      `${JSON.stringify(timings.longTasksMs)}`);
  } finally {
    await browser.close();
    await api.close();
  }
});
