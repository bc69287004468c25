#!/usr/bin/env node
'use strict';
// Runs a workflow file on a flowgrid scheduler and prints its outputs.
//
//   node examples/run-workflow.js [--tls_ca FILE] [--tls_server_name NAME]
//        [--api_key_file FILE] HOST:PORT WORKFLOW.json ['{"input": "value"}']
//   node examples/run-workflow.js --tls_ca .flowgrid-dev/tls/ca.pem \
//        --api_key_file .flowgrid-dev/dev.key 127.0.0.1:7070 examples/workflows/hello.json \
//        '{"name": "World"}'
//
// Without the flags the CA and key come from FLOWGRID_TLS_CA and
// FLOWGRID_API_KEY / FLOWGRID_API_KEY_FILE, as `flowgridctl dev` prints them.
// Progress goes to stderr, the outputs to stdout as one JSON object.
// Exit status: 0 the run succeeded (or partially), 1 it did not, 2 a call
// failed.

const { parseArgs } = require('node:util');
const { Client, FlowgridError } = require('..');

const USAGE = 'usage: run-workflow.js [--tls_ca FILE] [--tls_server_name NAME] ' +
  '[--api_key_file FILE] HOST:PORT WORKFLOW.json [INPUTS_JSON]';

async function main(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {
      tls_ca: { type: 'string' }, tls_server_name: { type: 'string' },
      api_key_file: { type: 'string' } } });
  } catch (error) {
    console.error(`${error.message}\n${USAGE}`);
    return 2;
  }
  const [address, workflowFile, inputsJson = '{}'] = parsed.positionals;
  if (!address || !workflowFile) {
    console.error(USAGE);
    return 2;
  }
  const { tls_ca: tlsCa, tls_server_name: tlsServerName, api_key_file: apiKeyFile } = parsed.values;
  let client;
  try {
    client = new Client(address, { timeoutMs: 10000, tlsCa, tlsServerName, apiKeyFile });
    const result = await client.run(workflowFile, JSON.parse(inputsJson), {
      onSubmitted: (runId) => console.error(`run ${runId}`),
      onEvent: (event) => {
        const finished = event.nodeFinished;
        if (!finished) return;
        const { status, error, stdout } = finished.result;
        if (stdout) console.error(stdout.trimEnd());
        console.error(`[${finished.nodeId}] ${status === 'SUCCEEDED' ? 'succeeded'
          : `${status}: ${error?.message ?? ''}`}`);
      },
    });
    // Integers beyond 2^53 arrive as bigint, which JSON.stringify refuses.
    console.log(JSON.stringify(result.outputs,
      (_, value) => (typeof value === 'bigint' ? value.toString() : value), 2));
    // PARTIAL_SUCCEEDED: some node failures were handled by their error strategy.
    if (result.status !== 'SUCCEEDED' && result.status !== 'PARTIAL_SUCCEEDED') {
      console.error(`run ${result.status}: ${result.error?.message ?? ''}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (!(error instanceof FlowgridError)) throw error;
    console.error(error.message);
    return 2;
  } finally {
    client?.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
