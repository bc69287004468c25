'use strict';
// A scheduler and workers on 127.0.0.1 for the tests, as
// deploy/local/local_cluster.cc starts them: the scheduler on port 0 with
// --ready_file (which reports the addresses it got), then the workers
// pointed at its worker address. Every child runs under
// `setpriv --pdeathsig TERM`, so it dies with the test process even when
// that is killed outright; stop() ends them in order (workers, then the
// scheduler: SIGTERM, SIGKILL after a grace period).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('../src');

const READY_TIMEOUT_MS = 30000;
const STOP_GRACE_MS = 10000;

class LocalCluster {
  /**
   * @param {{schedulerBin: string, workerBin: string, workers?: number,
   *          slots?: number, schedulerArgs?: string[]}} options  schedulerArgs are
   *   appended to the scheduler's command line (e.g. --console_addr)
   */
  static async start({ schedulerBin, workerBin, workers = 1, slots = 2, schedulerArgs = [] }) {
    const cluster = new LocalCluster(fs.mkdtempSync(path.join(os.tmpdir(), 'flowgrid-node-')),
      schedulerBin, schedulerArgs);
    try {
      await cluster._startScheduler('127.0.0.1:0', '127.0.0.1:0');
      // Job uids of their own, apart from other tests' clusters on this host
      // (the C++, Python and observability tests use 60000 to about 3.3M).
      const uidBase = 4000000 + (process.pid % 1000) * workers * 1024;
      for (let i = 0; i < workers; ++i) {
        cluster._spawn(`worker-${i}`, workerBin, [
          `--scheduler=${cluster.workerAddress}`, `--slots=${slots}`,
          `--worker_id=node-client-${process.pid}-${i}`, `--sandbox_uid_base=${uidBase + i * 1024}`,
          '--drain_grace=2s']);
      }
      await cluster._waitForWorkers(workers);
      return cluster;
    } catch (error) {
      const logs = cluster.logs();
      await cluster.stop();
      throw new Error(`${error.message}\n${logs}`, { cause: error });
    }
  }

  constructor(dir, schedulerBin, schedulerArgs) {
    this.dir = dir;
    this.schedulerBin = schedulerBin;
    this.schedulerArgs = schedulerArgs;
    this.clientAddress = '';
    // The scheduler's last ready file, as JSON (its addresses).
    this.ready = {};
    this.workerAddress = '';
    this.schedulerStarts = 0;
    /** @type {{name: string, process: import('node:child_process').ChildProcess, log: string}[]} */
    this.children = [];
    this._killOnExit = () => {
      for (const child of this.children) if (isRunning(child.process)) child.process.kill('SIGKILL');
    };
    process.on('exit', this._killOnExit);
  }

  /** The last lines of every child's log. */
  logs() {
    return this.children.map(({ name, log }) => {
      const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
      return `--- ${name} (${log}):\n${text.split('\n').slice(-30).join('\n')}`;
    }).join('\n');
  }

  /**
   * Kills the scheduler (SIGKILL: a crash) and starts another on the same
   * ports and store; the workers reconnect by themselves.
   */
  async restartScheduler() {
    const scheduler = this.children.find((c) => isScheduler(c) && isRunning(c.process));
    scheduler.process.kill('SIGKILL');
    await scheduler.process.exited;
    await this._startScheduler(this.clientAddress, this.workerAddress);
  }

  /** Workers first, then the scheduler; removes the directory. */
  async stop() {
    await Promise.all(this.children.filter((c) => !isScheduler(c)).map((c) => stopChild(c.process)));
    await Promise.all(this.children.filter(isScheduler).map((c) => stopChild(c.process)));
    process.off('exit', this._killOnExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async _startScheduler(clientAddr, workerAddr) {
    const name = `scheduler-${++this.schedulerStarts}`;
    const readyFile = path.join(this.dir, `${name}.ready.json`);
    const scheduler = this._spawn(name, this.schedulerBin, [
      `--client_addr=${clientAddr}`, `--worker_addr=${workerAddr}`,
      `--data_dir=${path.join(this.dir, 'store')}`, `--ready_file=${readyFile}`,
      ...this.schedulerArgs]);
    const ready = await waitForReadyFile(readyFile, scheduler);
    this.ready = ready;
    this.clientAddress = ready.client_addr;
    this.workerAddress = ready.worker_addr;
  }

  _spawn(name, binary, args) {
    const log = path.join(this.dir, `${name}.log`);
    const fd = fs.openSync(log, 'a');
    const child = spawn('setpriv', ['--pdeathsig', 'TERM', binary, ...args],
      { stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const entry = { name, process: child, log };
    child.exited = new Promise((resolve) => child.once('exit', resolve));
    this.children.push(entry);
    return child;
  }

  async _waitForWorkers(count) {
    await waitForWorkers(new Client(this.clientAddress), count);
  }
}

/**
 * Waits (bounded) until `client`'s scheduler lists `count` workers, then
 * closes the client.
 */
async function waitForWorkers(client, count) {
  try {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while ((await client.listWorkers()).length < count) {
      if (Date.now() > deadline) throw new Error(`${count} workers did not connect in time`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
}

async function waitForReadyFile(file, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isRunning(child)) {
      throw new Error(`the scheduler exited (${child.exitCode ?? child.signalCode}) before writing ${file}`);
    }
    try {
      const ready = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (ready.client_addr && ready.worker_addr) return ready;
    } catch {
      // Not written yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the scheduler wrote no ${file} within ${READY_TIMEOUT_MS} ms`);
}

function isScheduler(child) {
  return child.name.startsWith('scheduler-');
}

function isRunning(process) {
  return process.exitCode === null && process.signalCode === null;
}

/** SIGTERM, SIGKILL after `graceMs`; resolves once it is gone. */
async function stopChild(child, graceMs = STOP_GRACE_MS) {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  let timer;
  const killed = new Promise((resolve) => {
    timer = setTimeout(() => { child.kill('SIGKILL'); resolve(); }, graceMs);
  });
  await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  await child.exited;
}

module.exports = { LocalCluster, isRunning, stopChild, waitForWorkers };
