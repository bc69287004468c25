'use strict';
// Client: the scheduler's WorkflowService (and ClusterService's worker list)
// for Node.js, with the semantics of the C++ SDK (client/sdk/client.h).

const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const credentials = require('./credentials');
const { FlowgridError } = require('./errors');
const { backoffDelayMs, callWithRetries, isRetryable, sleep } = require('./retry');
const { toValueMap } = require('./values');
const { toEvent, toNodeResult, toRun, runStatusEnum } = require('./messages');
const { loadFlowgridV1 } = require('./protos');
const { loadWorkflow } = require('./workflow');

/**
 * @typedef {object} ClientOptions
 * @property {string | boolean} [tlsCa]  connect with TLS, verifying the
 *   scheduler's certificate against this PEM CA file (true: the system's
 *   roots); default $FLOWGRID_TLS_CA; '' or unset there: plaintext
 * @property {string} [tlsServerName]  the name in the scheduler's
 *   certificate when it is not the address's host
 * @property {string} [tlsCert]  a client certificate chain (PEM file) for a
 *   scheduler that asks for one, with tlsKey
 * @property {string} [tlsKey]
 * @property {string} [apiKey]  sent with every call as `authorization:
 *   Bearer <key>`; default $FLOWGRID_API_KEY; '' sends none. A scheduler
 *   with API keys answers a missing or unknown one with UNAUTHENTICATED.
 * @property {string} [apiKeyFile]  a file whose first line is the key
 *   (when apiKey is not given); default $FLOWGRID_API_KEY_FILE
 * @property {number} [timeoutMs=30000]  deadline of each unary call, its
 *   retries included
 * @property {number} [retries=4]  retries of submit, get, list, cancel,
 *   validate and listWorkers after UNAVAILABLE or RESOURCE_EXHAUSTED
 *   (0 = off; runNode is never retried)
 * @property {number} [initialBackoffMs=100]  first retry's wait when the
 *   scheduler sends no `retry-after-ms`; doubles per retry
 * @property {number} [maxBackoffMs=5000]
 * @property {number} [watchReattempts=12]  re-attaches of watch in a row
 *   without receiving an event; the wait is the scheduler's retry-after-ms,
 *   else doubles from watchInitialBackoffMs up to watchMaxBackoffMs (the
 *   defaults ride out about 40 s without a scheduler, i.e. a restart)
 * @property {number} [watchInitialBackoffMs=200]
 * @property {number} [watchMaxBackoffMs=5000]
 * @property {string} [protoDir]  the directory holding flowgrid/v1/*.proto
 *   (default: proto/ of the source tree this package is in)
 */

/**
 * A workflow: an object in flowgrid's JSON form (protobuf JSON of
 * flowgrid.v1.Workflow, as in examples/workflows/; field names in
 * lowerCamelCase or as in the .proto), or the path of a .json file holding
 * one. One that cannot be read or is not a workflow is an Error (SyntaxError,
 * TypeError) naming the file or field, before any call (workflow.js).
 * @typedef {object | string} WorkflowSource
 */

class Client {
  /**
   * Connects lazily: nothing is sent before the first call. A CA,
   * certificate or key file that cannot be read throws FlowgridError
   * (INVALID_ARGUMENT) naming the file, here.
   * @param {string} [address]  HOST:PORT of the scheduler's client port
   *   (default $FLOWGRID_ADDR, else 127.0.0.1:7070)
   * @param {ClientOptions} [options]
   */
  constructor(address, options = {}) {
    this.address = credentials.resolveAddress(address);
    this._options = {
      timeoutMs: 30000, retries: 4, initialBackoffMs: 100, maxBackoffMs: 5000,
      watchReattempts: 12, watchInitialBackoffMs: 200, watchMaxBackoffMs: 5000, ...options,
    };
    const { v1, lookup } = loadFlowgridV1(this._options.protoDir);
    this._lookupType = lookup;
    const apiKey = credentials.resolveApiKey(options.apiKey, options.apiKeyFile);
    credentials.checkApiKey(apiKey);
    // Per-call metadata rather than call credentials, which gRPC sends over
    // TLS only: a key over plaintext on loopback is allowed.
    this._metadata = new grpc.Metadata();
    if (apiKey) this._metadata.set('authorization', `Bearer ${apiKey}`);
    const tlsCa = credentials.resolveTlsCa(options.tlsCa);
    const { tlsServerName, tlsCert, tlsKey } = options;
    if (!tlsCa && (tlsServerName || tlsCert || tlsKey)) {
      throw new FlowgridError(grpc.status.INVALID_ARGUMENT,
        'tlsServerName, tlsCert and tlsKey need TLS: give tlsCa');
    }
    const channelCredentials = tlsCa
      ? credentials.channelCredentials(tlsCa, tlsCert, tlsKey)
      : grpc.credentials.createInsecure();
    const channelOptions = tlsServerName ? { 'grpc.ssl_target_name_override': tlsServerName } : {};
    this._workflows = new v1.WorkflowService(this.address, channelCredentials, channelOptions);
    this._cluster = new v1.ClusterService(this.address, channelCredentials, {
      channelOverride: this._workflows.getChannel(),
    });
  }

  /**
   * Starts a run and returns its id. A non-empty idempotency key the
   * scheduler has seen before returns the run it created the first time.
   * A retried submit is only safe with a key (an attempt that failed with
   * UNAVAILABLE may have been accepted), so when retries are on and none is
   * given, one is made ("sdk-" and 128 random bits) and sent with every
   * attempt. INVALID_ARGUMENT lists every validation diagnostic, one per line.
   * @param {WorkflowSource} workflow
   * @param {object} [inputs]  the start node's inputs, plain JS values
   * @param {{idempotencyKey?: string, system?: object}} [options]  `system`:
   *   the system variables read as ["sys", name] (query, user_id, ...)
   * @returns {Promise<string>} the run id
   */
  async submit(workflow, inputs = {}, { idempotencyKey = '', system = {} } = {}) {
    const request = {
      workflow: this._workflow(workflow),
      inputs: toValueMap(inputs, 'inputs'),
      system: toValueMap(system, 'system'),
      idempotencyKey: idempotencyKey ||
        (this._options.retries > 0 ? `sdk-${crypto.randomBytes(16).toString('hex')}` : ''),
    };
    const response = await this._unary(this._workflows, 'submitRun', request);
    return response.runId;
  }

  /**
   * The run's events after `afterSequence` (0 = from the start) until its
   * runFinished event, which is the last one yielded. When the stream breaks
   * (UNAVAILABLE; CANCELLED by a scheduler that stopped) or is refused for
   * now (RESOURCE_EXHAUSTED: the scheduler's cap on watch streams), it
   * re-attaches after the last sequence yielded, so every event comes once
   * across a scheduler restart; the wait is the scheduler's retry-after-ms
   * when it sends one, else doubles from watchInitialBackoffMs, stretched by
   * a random factor in [1, 1.5). After watchReattempts failures in a row
   * without an event it gives up with the last failure's code (UNAVAILABLE
   * for CANCELLED) and retry delay. Leaving the loop early ends the stream.
   * @param {string} runId
   * @param {{afterSequence?: number}} [options]
   * @returns {AsyncGenerator<object>} events (messages.js toEvent)
   */
  async *watch(runId, { afterSequence = 0 } = {}) {
    const backoff = { initialBackoffMs: this._options.watchInitialBackoffMs,
      maxBackoffMs: this._options.watchMaxBackoffMs };
    let last = afterSequence;
    let failures = 0;
    for (;;) {
      const call = this._workflows.watchRun({ runId, afterSequence: String(last) },
        this._metadata.clone());
      try {
        for await (const message of call) {
          const event = toEvent(message);
          if (event.sequence <= last) continue;
          last = event.sequence;
          failures = 0;
          yield event;
          if (event.kind === 'runFinished') return;
        }
        throw new FlowgridError(grpc.status.INTERNAL,
          `the event stream of run ${runId} ended after sequence ${last} without run_finished`);
      } catch (thrown) {
        const error = FlowgridError.fromGrpc(thrown);
        // Our own cancel() comes only after runFinished or when the caller
        // left: a CANCELLED seen here is a scheduler that stopped.
        if (!isRetryable(error) && error?.code !== grpc.status.CANCELLED) throw error;
        if (++failures > this._options.watchReattempts) {
          throw new FlowgridError(
            error.code === grpc.status.CANCELLED ? grpc.status.UNAVAILABLE : error.code,
            `WatchRun of run ${runId} from ${this.address} failed ${failures} times in a row ` +
            `without an event (last sequence ${last}): ${error.details}`,
            { retryAfterMs: error.retryAfterMs, cause: error });
        }
        await sleep(backoffDelayMs(backoff, failures, error, Math.random()));
      } finally {
        call.cancel();
      }
    }
  }

  /**
   * Submits and watches a run to its end.
   * @param {WorkflowSource} workflow
   * @param {object} [inputs]
   * @param {{idempotencyKey?: string, system?: object,
   *          onSubmitted?: (runId: string) => void,
   *          onEvent?: (event: object) => void}} [options]
   * @returns {Promise<{runId: string, status: string, outputs: object,
   *   error: object | null, failedNodeId: string, nodes: object[]}>}
   *   `nodes`: every nodeFinished event's payload, in order
   */
  async run(workflow, inputs = {}, options = {}) {
    const runId = await this.submit(workflow, inputs, options);
    options.onSubmitted?.(runId);
    const nodes = [];
    let finished;  // watch's last event
    for await (const event of this.watch(runId)) {
      options.onEvent?.(event);
      if (event.kind === 'nodeFinished') nodes.push(event.nodeFinished);
      if (event.kind === 'runFinished') finished = event.runFinished;
    }
    return { runId, ...finished, nodes };
  }

  /**
   * The run's record: status, inputs, outputs, every node execution so far.
   * @param {string} runId
   */
  async get(runId) {
    return toRun(await this._unary(this._workflows, 'getRun', { runId }));
  }

  /**
   * One page of the run history, newest first.
   * @param {{pageSize?: number, pageToken?: string, status?: string}} [options]
   *   status: "SUCCEEDED", "failed", ... (any case; default: every status)
   * @returns {Promise<{runs: object[], nextPageToken: string}>}
   *   nextPageToken is "" on the last page
   */
  async list({ pageSize = 0, pageToken = '', status } = {}) {
    const response = await this._unary(this._workflows, 'listRuns', { pageSize, pageToken,
      status: status === undefined ? 'RUN_STATUS_UNSPECIFIED' : runStatusEnum(status) });
    return { runs: response.runs.map(toRun), nextPageToken: response.nextPageToken };
  }

  /**
   * Cancels a run: nothing more of it starts, its running jobs are killed,
   * it ends CANCELLED. Returns its record as of the cancel.
   * FAILED_PRECONDITION when it has already finished, NOT_FOUND when unknown.
   * @param {string} runId
   */
  async cancel(runId) {
    return toRun(await this._unary(this._workflows, 'cancelRun', { runId }));
  }

  /**
   * Every problem of a workflow at once; an invalid workflow is not an error.
   * @param {WorkflowSource} workflow
   * @returns {Promise<{valid: boolean, diagnostics: {nodeId: string,
   *   field: string, message: string}[], order: string[]}>}
   */
  async validate(workflow) {
    const response = await this._unary(this._workflows, 'validateWorkflow',
      { workflow: this._workflow(workflow) });
    return { valid: response.valid, diagnostics: response.diagnostics, order: response.order };
  }

  /**
   * Runs one node of `workflow` alone (Dify's "Run This Node"); a failure of
   * its code is data in `result`, not an error. Not retried.
   * @param {WorkflowSource} workflow
   * @param {string} nodeId
   * @param {object} [inputs]
   * @returns {Promise<{result: object, branch: string}>}
   */
  async runNode(workflow, nodeId, inputs = {}) {
    const response = await this._unary(this._workflows, 'runNode',
      { workflow: this._workflow(workflow), nodeId, inputs: toValueMap(inputs, 'inputs') },
      { retries: 0 });
    return { result: toNodeResult(response.result), branch: response.branch };
  }

  /**
   * The connected workers (ClusterService).
   * @returns {Promise<object[]>} {workerId, state, slots, freeSlots, runtimes, ...}
   */
  async listWorkers() {
    return (await this._unary(this._cluster, 'listWorkers', {})).workers;
  }

  /** Closes the channel; calls in flight fail with CANCELLED. */
  close() {
    this._workflows.close();
  }

  /** @param {WorkflowSource} workflow */
  _workflow(workflow) {
    return loadWorkflow(workflow, this._lookupType);
  }

  _unary(stub, method, request, { retries = this._options.retries } = {}) {
    const policy = { ...this._options, retries };
    return callWithRetries(policy, Date.now() + this._options.timeoutMs, (deadline) =>
      new Promise((resolve, reject) => {
        stub[method](request, this._metadata.clone(), { deadline: new Date(deadline) },
          (error, response) => (error ? reject(error) : resolve(response)));
      }));
  }
}

module.exports = { Client };
