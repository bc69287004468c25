#!/usr/bin/env node
'use strict';
// Runs a workflow file on a flowgrid scheduler and prints its outputs.
//
//   node examples/run-workflow.js HOST:PORT WORKFLOW.json ['{"input": "value"}']
//
// Progress goes to stderr, the outputs to stdout as one JSON object.
// Exit status: 0 the run succeeded (or partially), 1 it did not, 2 a call
// failed.

const { Client, FlowgridError } = require('..');

async function main([address, workflowFile, inputsJson = '{}']) {
  if (!address || !workflowFile) {
    console.error('usage: run-workflow.js HOST:PORT WORKFLOW.json [INPUTS_JSON]');
    return 2;
  }
  const client = new Client(address, { timeoutMs: 10000 });
  try {
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
    client.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
