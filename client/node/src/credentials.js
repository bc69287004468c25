'use strict';
// How a Client secures and authenticates its channel: TLS towards the
// scheduler's client port and the API key sent with every call, each
// defaulting to the environment variables flowgridctl reads
// (FLOWGRID_ADDR, FLOWGRID_TLS_CA, FLOWGRID_API_KEY, FLOWGRID_API_KEY_FILE).

const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const { FlowgridError } = require('./errors');

const DEFAULT_ADDRESS = '127.0.0.1:7070';

/** `address`, else $FLOWGRID_ADDR, else 127.0.0.1:7070. */
function resolveAddress(address) {
  return address || process.env.FLOWGRID_ADDR || DEFAULT_ADDRESS;
}

/**
 * The CA file to verify the scheduler with: `tlsCa` when given ('' turns
 * TLS off), else $FLOWGRID_TLS_CA; empty: plaintext.
 * @param {string | boolean | undefined} tlsCa
 */
function resolveTlsCa(tlsCa) {
  return tlsCa ?? process.env.FLOWGRID_TLS_CA ?? '';
}

/**
 * The key to send: `apiKey`, else the first line of `apiKeyFile`, else
 * $FLOWGRID_API_KEY, else the file $FLOWGRID_API_KEY_FILE names; '' for
 * either option sends none whatever the environment says.
 */
function resolveApiKey(apiKey, apiKeyFile) {
  if (apiKey !== undefined) return apiKey;
  if (apiKeyFile !== undefined) return apiKeyFile ? readApiKeyFile(apiKeyFile) : '';
  if (process.env.FLOWGRID_API_KEY) return process.env.FLOWGRID_API_KEY;
  if (process.env.FLOWGRID_API_KEY_FILE) return readApiKeyFile(process.env.FLOWGRID_API_KEY_FILE);
  return '';
}

/**
 * The key on the first line of the file at `path`, trimmed (the form
 * `flowgridctl dev` writes). Errors name the file, never its content.
 */
function readApiKeyFile(path) {
  let text;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(`cannot read the API key file ${path}: ${error.message}`, error);
  }
  const key = text.split('\n', 1)[0].trim();
  if (!key) throw invalid(`the API key file ${path} has no key on its first line`);
  return key;
}

/**
 * gRPC metadata takes printable ASCII only: anything else would fail every
 * call, so it is refused up front (without echoing the key).
 */
function checkApiKey(apiKey) {
  if (/[^\x21-\x7e]/.test(apiKey)) {
    throw invalid('apiKey holds whitespace or a character outside printable ASCII');
  }
}

function readPem(what, path, label) {
  let pem;
  try {
    pem = fs.readFileSync(path);
  } catch (error) {
    throw invalid(`cannot read the ${what} ${path}: ${error.message}`, error);
  }
  if (!pem.includes(`-----BEGIN ${label}`)) throw invalid(`the ${what} ${path} holds no PEM ${label}`);
  return pem;
}

/**
 * grpc-js channel credentials verifying the scheduler against the PEM CA
 * file `tlsCa` (true: the system's roots), with a client certificate chain
 * and key (PEM files) when both are given.
 */
function channelCredentials(tlsCa, tlsCert, tlsKey) {
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw invalid('tlsCert and tlsKey go together: give both or neither');
  }
  const roots = tlsCa === true ? null : readPem('TLS CA file', tlsCa, 'CERTIFICATE');
  if (!tlsCert) return grpc.credentials.createSsl(roots);
  const chain = readPem('TLS client certificate file', tlsCert, 'CERTIFICATE');
  const key = readPem('TLS client key file', tlsKey, '');
  if (!key.includes('PRIVATE KEY-----')) {
    throw invalid(`the TLS client key file ${tlsKey} holds no PEM private key`);
  }
  return grpc.credentials.createSsl(roots, key, chain);
}

function invalid(message, cause) {
  return new FlowgridError(grpc.status.INVALID_ARGUMENT, message, { cause });
}

module.exports = {
  channelCredentials, checkApiKey, readApiKeyFile, resolveAddress, resolveApiKey, resolveTlsCa,
};
