'use strict';
// Where a Client takes its address, TLS CA and API key from (its options,
// else the FLOWGRID_* environment variables), and the errors of unusable
// ones (src/credentials.js); no server involved.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { afterEach, beforeEach, test } = require('node:test');
const { Client, FlowgridError, status } = require('../src');
const credentials = require('../src/credentials');

const ENV_NAMES = ['FLOWGRID_ADDR', 'FLOWGRID_TLS_CA', 'FLOWGRID_API_KEY', 'FLOWGRID_API_KEY_FILE'];
let saved;
let dir;
let keyFile;

beforeEach(() => {
  saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  for (const name of ENV_NAMES) delete process.env[name];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowgrid-node-credentials-'));
  keyFile = path.join(dir, 'dev.key');
  fs.writeFileSync(keyFile, '  file-key-0123456789 \nignored\n');
});

afterEach(() => {
  for (const name of ENV_NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the address comes from the argument, then $FLOWGRID_ADDR, then the default', () => {
  assert.equal(credentials.resolveAddress(undefined), '127.0.0.1:7070');
  process.env.FLOWGRID_ADDR = 'env:1';
  assert.equal(credentials.resolveAddress(undefined), 'env:1');
  assert.equal(credentials.resolveAddress('arg:2'), 'arg:2');
});

test('the TLS CA comes from the option, then $FLOWGRID_TLS_CA; empty turns TLS off', () => {
  assert.equal(credentials.resolveTlsCa(undefined), '');
  process.env.FLOWGRID_TLS_CA = '/env/ca.pem';
  assert.equal(credentials.resolveTlsCa(undefined), '/env/ca.pem');
  assert.equal(credentials.resolveTlsCa('/arg/ca.pem'), '/arg/ca.pem');
  assert.equal(credentials.resolveTlsCa(''), '');
});

test('the API key: apiKey, apiKeyFile, $FLOWGRID_API_KEY, $FLOWGRID_API_KEY_FILE', () => {
  assert.equal(credentials.resolveApiKey(undefined, undefined), '');
  process.env.FLOWGRID_API_KEY_FILE = keyFile;
  assert.equal(credentials.resolveApiKey(undefined, undefined), 'file-key-0123456789');
  process.env.FLOWGRID_API_KEY = 'env-key-0123456789';
  assert.equal(credentials.resolveApiKey(undefined, undefined), 'env-key-0123456789');
  assert.equal(credentials.resolveApiKey(undefined, keyFile), 'file-key-0123456789');
  assert.equal(credentials.resolveApiKey('arg-key', keyFile), 'arg-key');
  assert.equal(credentials.resolveApiKey('', undefined), '');
  assert.equal(credentials.resolveApiKey(undefined, ''), '');
});

function assertInvalid(options, pattern) {
  let thrown;
  assert.throws(() => new Client('127.0.0.1:1', options), (error) => {
    thrown = error;
    return error instanceof FlowgridError && error.code === status.INVALID_ARGUMENT &&
      pattern.test(error.details);
  });
  return thrown;
}

test('unreadable files are named', () => {
  assertInvalid({ tlsCa: '/nonexistent/ca.pem' }, /cannot read the TLS CA file \/nonexistent\/ca\.pem/);
  assertInvalid({ apiKeyFile: '/nonexistent/dev.key' },
    /cannot read the API key file \/nonexistent\/dev\.key/);
  const notPem = path.join(dir, 'ca.pem');
  fs.writeFileSync(notPem, 'hello\n');
  assertInvalid({ tlsCa: notPem }, /holds no PEM CERTIFICATE/);
  fs.writeFileSync(keyFile, '\nsecret\n');
  assertInvalid({ apiKeyFile: keyFile }, /has no key on its first line/);
});

test('TLS settings without TLS, half a client certificate and an unsendable key are refused', () => {
  assertInvalid({ tlsServerName: 'scheduler' }, /need TLS: give tlsCa/);
  assertInvalid({ tlsCa: true, tlsCert: 'client.pem' }, /tlsCert and tlsKey go together/);
  const error = assertInvalid({ apiKey: 'secret with spaces' }, /apiKey holds whitespace/);
  assert.doesNotMatch(error.message, /secret/);
});
