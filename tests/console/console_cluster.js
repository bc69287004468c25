'use strict';
// What the console's browser tests and the screenshot script share: a real
// local cluster (the Node client's test LocalCluster) whose scheduler serves
// the built console on --console_addr, a Node client to submit runs,
// headless Chromium driven by playwright-core, and the workflows they run.
//
// Environment (set by tests/console/CMakeLists.txt): FLOWGRID_SCHEDULER_BIN,
// FLOWGRID_WORKER_BIN, FLOWGRID_CONSOLE_DIST (the built console),
// FLOWGRID_CHROMIUM (default /usr/bin/chromium), NODE_PATH (playwright-core
// and the Node client's packages).

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { Client } = require('../../client/node/src');
const { LocalCluster } = require('../../client/node/test/local_cluster');

const REPO = path.resolve(__dirname, '..', '..');

function requiredPath(name) {
  const value = process.env[name];
  if (!value || !fs.existsSync(value)) throw new Error(`${name} must name an existing path (got "${value ?? ''}")`);
  return value;
}

/**
 * Starts the cluster and the browser.
 * @returns {Promise<{cluster, client, consoleUrl: string, browser, stop: () => Promise<void>}>}
 */
async function startConsoleCluster({ slots = 3 } = {}) {
  const cluster = await LocalCluster.start({
    schedulerBin: requiredPath('FLOWGRID_SCHEDULER_BIN'),
    workerBin: requiredPath('FLOWGRID_WORKER_BIN'),
    slots,
    schedulerArgs: ['--console_addr=127.0.0.1:0',
      `--console_assets_dir=${requiredPath('FLOWGRID_CONSOLE_DIST')}`],
  });
  let browser;
  try {
    const address = cluster.ready.console_addr;
    if (!address) throw new Error(`the ready file names no console_addr: ${JSON.stringify(cluster.ready)}`);
    const client = new Client(cluster.clientAddress, { timeoutMs: 20000 });
    browser = await chromium.launch({ executablePath: process.env.FLOWGRID_CHROMIUM || '/usr/bin/chromium' });
    return {
      cluster, client, browser, consoleUrl: `http://${address}`,
      stop: async () => {
        client.close();
        await browser.close();
        await cluster.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    const logs = cluster.logs();
    await cluster.stop();
    throw new Error(`${error.message}\n${logs}`, { cause: error });
  }
}

const input = (name, selector) => ({ name, selector });

function pythonNode(id, title, code, inputs, outputs) {
  return { id, title, code: { language: 'PYTHON3', code, inputs, outputs } };
}

/** examples/workflows/diamond.json: start -> two Python branches -> join -> end. */
function diamond() {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'examples/workflows/diamond.json'), 'utf8'));
}

/** examples/workflows/if_else.json: an if-else with three branches, one taken. */
function ifElse() {
  return JSON.parse(fs.readFileSync(path.join(REPO, 'examples/workflows/if_else.json'), 'utf8'));
}

/**
 * A diamond whose join raises in a helper function: start, left and right
 * succeed, join fails with a traceback, end never runs. Input: n.
 */
function failingDiamond() {
  const n = [input('n', ['start', 'n'])];
  return {
    name: 'console_failing_diamond',
    nodes: [
      { id: 'start', title: 'Start', start: { variables: [
        { name: 'n', type: { kind: 'NUMBER' }, required: true }] } },
      pythonNode('left', 'Left', 'def main(n: int) -> dict:\n    return {"v": n + 1}\n', n,
        { v: { kind: 'NUMBER' } }),
      pythonNode('right', 'Right', 'def main(n: int) -> dict:\n    print("right saw", n)\n    return {"v": n * 2}\n',
        n, { v: { kind: 'NUMBER' } }),
      pythonNode('join', 'Join',
        'def check(total):\n    raise ValueError(f"join cannot take {total}")\n\n' +
        'def main(a: int, b: int) -> dict:\n    print("joining", a, b)\n    check(a + b)\n    return {"sum": a + b}\n',
        [input('a', ['left', 'v']), input('b', ['right', 'v'])], { sum: { kind: 'NUMBER' } }),
      { id: 'end', title: 'End', end: { outputs: [input('sum', ['join', 'sum'])] } },
    ],
    edges: [{ source: 'start', target: 'left' }, { source: 'start', target: 'right' },
      { source: 'left', target: 'join' }, { source: 'right', target: 'join' },
      { source: 'join', target: 'end' }],
  };
}

/** start -> a Python node sleeping `seconds` -> end. */
function sleeper(name, seconds) {
  return {
    name,
    nodes: [
      { id: 'start', title: 'Start', start: {} },
      pythonNode('nap', `Sleep ${seconds} s`,
        `import time\n\ndef main() -> dict:\n    time.sleep(${seconds})\n    return {"slept": ${seconds}}\n`,
        [], { slept: { kind: 'NUMBER' } }),
      { id: 'end', title: 'End', end: { outputs: [input('slept', ['nap', 'slept'])] } },
    ],
    edges: [{ source: 'start', target: 'nap' }, { source: 'nap', target: 'end' }],
  };
}

module.exports = { startConsoleCluster, diamond, ifElse, failingDiamond, sleeper };
