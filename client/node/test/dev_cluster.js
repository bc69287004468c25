'use strict';
// `flowgridctl dev` for the tests: a scheduler and workers on 127.0.0.1
// (ports picked by the kernel) with dev's defaults — TLS on both ports,
// workers authenticated by client certificates, one API key — read back
// from the export lines it prints. It runs under `setpriv --pdeathsig TERM`
// (it dies with the test process even when that is killed outright; dev
// then stops its own children); stop() sends SIGTERM, SIGKILL after a grace
// period.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('../src');
const { isRunning, stopChild, waitForWorkers } = require('./local_cluster');

const READY_TIMEOUT_MS = 30000;
// dev stops its workers, then its scheduler, 10 s grace each.
const STOP_GRACE_MS = 40000;

class DevCluster {
  /**
   * @param {{flowgridctl: string, schedulerBin: string, workerBin: string,
   *          workers?: number, slots?: number}} options
   */
  static async start({ flowgridctl, schedulerBin, workerBin, workers = 1, slots = 2 }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowgrid-node-dev-'));
    const log = path.join(dir, 'dev.log');
    const fd = fs.openSync(log, 'a');
    // Job uids of their own, apart from other tests' clusters on this host
    // (LocalCluster takes 4000000 to about 5.1M, the Python client 8000000 and up).
    const uidBase = 6000000 + (process.pid % 1000) * 1024;
    const dev = spawn('setpriv', ['--pdeathsig', 'TERM', flowgridctl, 'dev',
      '--data', path.join(dir, 'data'), '--client_addr', '127.0.0.1:0',
      '--worker_addr', '127.0.0.1:0', '--scheduler_bin', schedulerBin, '--worker_bin', workerBin,
      '--workers', String(workers), '--slots', String(slots),
      `--worker_arg=--worker_id=node-client-dev-${process.pid}`,
      `--worker_arg=--sandbox_uid_base=${uidBase}`], { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const cluster = new DevCluster(dir, log, dev);
    try {
      const exports = await cluster._readExports('FLOWGRID_API_KEY_FILE');
      cluster.clientAddress = exports.FLOWGRID_ADDR;
      cluster.tlsCa = exports.FLOWGRID_TLS_CA;
      cluster.apiKeyFile = exports.FLOWGRID_API_KEY_FILE;
      await waitForWorkers(cluster.client(), workers);
      return cluster;
    } catch (error) {
      const logs = cluster.logs();
      await cluster.stop();
      throw new Error(`${error.message}\n${logs}`, { cause: error });
    }
  }

  constructor(dir, log, dev) {
    this.dir = dir;
    this.log = log;
    this.dev = dev;
    this.clientAddress = '';
    this.tlsCa = '';
    this.apiKeyFile = '';
    dev.exited = new Promise((resolve) => dev.once('exit', resolve));
    this._killOnExit = () => { if (isRunning(dev)) dev.kill('SIGKILL'); };
    process.on('exit', this._killOnExit);
  }

  /** The last lines of dev's output. */
  logs() {
    const text = fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : '';
    return `--- flowgridctl dev (${this.log}):\n${text.split('\n').slice(-40).join('\n')}`;
  }

  /** A client of this cluster with its CA and key (`options` on top). */
  client(options = {}) {
    return new Client(this.clientAddress,
      { tlsCa: this.tlsCa, apiKeyFile: this.apiKeyFile, ...options });
  }

  async stop() {
    await stopChild(this.dev, STOP_GRACE_MS);
    process.off('exit', this._killOnExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async _readExports(lastName) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!isRunning(this.dev)) {
        throw new Error(`flowgridctl dev exited (${this.dev.exitCode ?? this.dev.signalCode}) ` +
          `before printing ${lastName}`);
      }
      const exports = Object.fromEntries(fs.readFileSync(this.log, 'utf8').split('\n')
        .filter((line) => line.startsWith('export ') && line.includes('='))
        .map((line) => { const [name, ...value] = line.slice(7).split('='); return [name, value.join('=')]; }));
      if (exports[lastName]) return exports;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`flowgridctl dev printed no ${lastName} within ${READY_TIMEOUT_MS} ms`);
  }

}

module.exports = { DevCluster };
