'use strict';
// The API key prompt in headless Chromium, against fake_api.js with a key:
// a 401 opens the prompt, a refused key opens it again, the right one is
// kept in sessionStorage and sent as a Bearer token on every request,
// the event stream's included.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const { test } = require('node:test');
const { chromium } = require('playwright-core');
const { largeRun, startFakeApi } = require('./fake_api');

const KEY = 'console-test-key-0123456789';

test('a 401 asks for the API key, which is then sent on every request', { timeout: 60000 }, async () => {
  const distDir = process.env.FLOWGRID_CONSOLE_DIST;
  assert.ok(distDir && fs.existsSync(`${distDir}/index.html`), 'FLOWGRID_CONSOLE_DIST must name the built console');
  const api = await startFakeApi({ distDir, runs: [largeRun('small', 6, 2)], eventsPerTick: 4,
    tickMs: 20, apiKey: KEY });
  const browser = await chromium.launch({ executablePath: process.env.FLOWGRID_CHROMIUM || '/usr/bin/chromium' });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(20000);
    await page.goto(`${api.url}/runs/small`);
    const prompt = page.locator('form.key-prompt');
    await prompt.waitFor();
    assert.match(await prompt.textContent(), /missing API key/);

    await prompt.locator('input[name=api_key]').fill('wrong-key-0123456789');
    await prompt.locator('button[type=submit]').click();
    await page.waitForSelector('form.key-prompt >> text=The key was refused: unknown API key');

    await prompt.locator('input[name=api_key]').fill(KEY);
    await prompt.locator('button[type=submit]').click();
    await page.waitForSelector('svg.graph g[data-node-id="end"].succeeded');
    assert.equal(await prompt.count(), 0);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('flowgrid.api_key')), KEY);
    // Every request after the key was given carried it (the stream's too).
    const sent = api.authorizations.slice(api.authorizations.lastIndexOf('Bearer wrong-key-0123456789') + 1);
    assert.ok(sent.length >= 2, JSON.stringify(api.authorizations));
    assert.deepEqual(new Set(sent), new Set([`Bearer ${KEY}`]));
  } finally {
    await browser.close();
    await api.close();
  }
});
