'use strict';
// node screenshots.js OUT_DIR: screenshots of the console's main pages
// from a real local cluster with a few runs in it (environment as for the
// browser tests; `cmake --build build --target console_screenshots` writes
// them to docs/console/).

const path = require('node:path');
const { diamond, failingDiamond, ifElse, sleeper, startConsoleCluster } = require('./console_cluster');

const VIEWPORT = { width: 1400, height: 820 };

async function main(outDir) {
  const env = await startConsoleCluster({ slots: 2 });
  try {
    const { client } = env;
    await client.run(diamond(), { n: 200000 });
    await client.run(ifElse(), { score: 72, tag: 'retake' });
    const failed = await client.run(failingDiamond(), { n: 3 });
    const long = await client.submit(sleeper('nightly_report', 120));

    const page = await env.browser.newPage({ viewport: VIEWPORT });
    const shot = async (name) => {
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(outDir, name) });
      console.log(`wrote ${path.join(outDir, name)}`);
    };

    await page.goto(`${env.consoleUrl}/runs`);
    await page.waitForSelector(`tr[data-run-id="${long}"] .badge.running`);
    await shot('runs.png');

    await page.goto(`${env.consoleUrl}/runs/${failed.runId}`);
    await page.waitForSelector('svg.graph g[data-node-id="join"].failed');
    await page.click('svg.graph g[data-node-id="join"]');
    await page.waitForSelector('.node-panel pre.traceback');
    await shot('run-detail.png');

    const branches = (await client.list({ pageSize: 10 })).runs.find((r) => r.workflowName === 'if_else');
    await page.goto(`${env.consoleUrl}/runs/${branches.runId}`);
    await page.waitForSelector('svg.graph g[data-node-id="end"].succeeded');
    await shot('run-branches.png');

    await page.goto(`${env.consoleUrl}/workers`);
    await page.waitForSelector('tr[data-worker-id] .slot.busy');
    await shot('workers.png');
    await client.cancel(long);
  } finally {
    await env.stop();
  }
}

main(path.resolve(process.argv[2] ?? '.')).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
