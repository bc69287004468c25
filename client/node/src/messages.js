'use strict';
// Responses and events as the client returns them: Value maps as plain JS
// values (values.js), Timestamps as Dates, int64 counters as numbers. Field
// names are proto-loader's camelCase. Run and node statuses lose their enum
// prefix ("SUCCEEDED", "FAILED", "SKIPPED"; as the Python client has them);
// error codes keep their names ("RUNTIME_ERROR", "TIMEOUT").

const { fromValueMap } = require('./values');

const RUN_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'PARTIAL_SUCCEEDED', 'FAILED', 'CANCELLED'];

/** "RUN_SUCCEEDED" -> "SUCCEEDED" */
function runStatus(name) {
  return name.replace(/^RUN_/, '');
}

/** "NODE_FAILED" -> "FAILED" */
function nodeStatus(name) {
  return name.replace(/^NODE_/, '');
}

/**
 * The RunStatus enum name of "FAILED", "running", ... (a TypeError naming
 * the valid ones otherwise).
 * @param {string} name
 */
function runStatusEnum(name) {
  const upper = String(name).toUpperCase();
  if (!RUN_STATUSES.includes(upper)) {
    throw new TypeError(`unknown run status "${name}"; one of ${RUN_STATUSES.join(', ')}`);
  }
  return `RUN_${upper}`;
}

/** @param {{seconds: string, nanos: number} | null | undefined} timestamp */
function toDate(timestamp) {
  if (!timestamp) return null;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1e6));
}

/** flowgrid.v1.NodeError, or null when unset. */
function toNodeError(error) {
  if (!error || error.code === 'ERROR_CODE_UNSPECIFIED') return null;
  return { code: error.code, message: error.message, traceback: error.traceback };
}

/** flowgrid.v1.NodeResult */
function toNodeResult(result) {
  if (!result) return null;
  const usage = result.usage ?? {};
  return {
    status: nodeStatus(result.status),
    outputs: fromValueMap(result.outputs),
    error: toNodeError(result.error),
    warnings: result.warnings,
    stdout: result.stdout,
    stderr: result.stderr,
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    usage: {
      wallUs: Number(usage.wallUs ?? 0),
      cpuUs: Number(usage.cpuUs ?? 0),
      peakMemoryBytes: Number(usage.peakMemoryBytes ?? 0),
    },
  };
}

/** flowgrid.v1.NodeScope -> [{nodeId, index}], outermost first. */
function toScope(scope) {
  return scope?.levels ?? [];
}

/** flowgrid.v1.Run */
function toRun(run) {
  return {
    runId: run.runId,
    workflowName: run.workflowName,
    status: runStatus(run.status),
    inputs: fromValueMap(run.inputs),
    outputs: fromValueMap(run.outputs),
    error: toNodeError(run.error),
    failedNodeId: run.failedNodeId,
    nodes: run.nodes.map((node) => ({
      nodeId: node.nodeId,
      attempt: node.attempt,
      inputs: fromValueMap(node.inputs),
      result: toNodeResult(node.result),
    })),
    createdAt: toDate(run.createdAt),
    finishedAt: toDate(run.finishedAt),
  };
}

/**
 * flowgrid.v1.RunEvent: {runId, sequence, time, kind} and the field named
 * by `kind` ("runStarted", "nodeStarted", "nodeRetry", "nodeFinished",
 * "runFinished", "runResumed") holding its payload.
 */
function toEvent(event) {
  const payload = event[event.kind];
  let converted;
  switch (event.kind) {
    case 'runStarted':
      converted = { inputs: fromValueMap(payload.inputs) };
      break;
    case 'nodeStarted':
      converted = { nodeId: payload.nodeId, attempt: payload.attempt,
        inputs: fromValueMap(payload.inputs), scope: toScope(payload.scope) };
      break;
    case 'nodeRetry':
      converted = { nodeId: payload.nodeId, attempt: payload.attempt,
        error: toNodeError(payload.error), scope: toScope(payload.scope),
        retryInMs: payload.retryInMs };
      break;
    case 'nodeFinished':
      converted = { nodeId: payload.nodeId, attempt: payload.attempt,
        inputs: fromValueMap(payload.inputs), result: toNodeResult(payload.result),
        scope: toScope(payload.scope), branch: payload.branch };
      break;
    case 'runFinished':
      converted = { status: runStatus(payload.status), outputs: fromValueMap(payload.outputs),
        error: toNodeError(payload.error), failedNodeId: payload.failedNodeId };
      break;
    case 'runResumed':
      converted = { afterSequence: Number(payload.afterSequence), reason: payload.reason };
      break;
    default:
      converted = payload;
  }
  return {
    runId: event.runId, sequence: Number(event.sequence), time: toDate(event.time),
    kind: event.kind, [event.kind]: converted,
  };
}

module.exports = { toDate, toNodeResult, toRun, toEvent, runStatusEnum };
