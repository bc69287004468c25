// The state of every node and edge of one run's graph, from the run as
// fetched (Run.nodes) and then from its RunEvents. Pure data: no DOM, so
// the graph view repaints only what `apply*` reports as changed.
//
// Node states (the colors of the graph):
//   pending    not started (or not reached)
//   running    an attempt is in progress
//   succeeded  finished on its first attempt
//   retried    waiting for a retry, or succeeded after retrying
//   failed     failed (the run's error, unless the run goes on)
//   exception  failed but handled by its error strategy
//   skipped    on a branch that was not taken (every edge into it skipped)
// Edge states: pending, taken, skipped (its source skipped, or a branch of
// its source that was not taken).

const NODE_KINDS = ['start', 'code', 'if_else', 'template', 'variable_aggregator', 'end',
  'iteration', 'loop', 'assigner', 'answer'];
const RAN = new Set(['running', 'succeeded', 'retried', 'failed', 'exception']);
const DONE = new Set(['succeeded', 'retried', 'exception']);

/** A node's kind: the name of the oneof member set ("code", "if_else", ...). */
export function nodeKind(node) {
  return NODE_KINDS.find((kind) => node[kind] !== undefined) ?? 'node';
}

/**
 * Every node and edge of a workflow, the sub-graphs of iterations and loops
 * included (their nodes get `parent`).
 */
export function flattenWorkflow(workflow) {
  const nodes = [];
  const edges = [];
  const visit = (graphNodes, graphEdges, parent) => {
    for (const node of graphNodes ?? []) {
      const kind = nodeKind(node);
      nodes.push({ id: node.id, title: node.title || node.id, kind, parent, spec: node });
      const inner = node.iteration ?? node.loop;
      if (inner) visit(inner.nodes, inner.edges, node.id);
    }
    for (const edge of graphEdges ?? []) {
      edges.push({ source: edge.source, target: edge.target,
        handle: edge.source_handle || 'source' });
    }
  };
  visit(workflow?.nodes, workflow?.edges, '');
  return { nodes, edges };
}

function scopeKey(scope) {
  return (scope?.levels ?? []).map((l) => `${l.node_id}[${l.index ?? 0}]`).join('/');
}

export class RunState {
  constructor(workflow) {
    const { nodes, edges } = flattenWorkflow(workflow);
    this.edges = edges.map((edge) => ({ ...edge, state: 'pending' }));
    /** @type {Map<string, {id, title, kind, parent, spec, state, branch, waitingRetry, executions: Map}>} */
    this.nodes = new Map();
    for (const node of nodes) {
      this.nodes.set(node.id, { ...node, state: 'pending', branch: '', waitingRetry: null,
        executions: new Map() });
    }
    this.edgesOf = new Map(nodes.map((n) => [n.id, []]));
    this.edges.forEach((edge, index) => {
      this.edgesOf.get(edge.source)?.push(index);
      this.edgesOf.get(edge.target)?.push(index);
    });
    this.run = { status: 'RUN_PENDING', error: null, failed_node_id: '', outputs: {} };
    this.lastSequence = 0;
  }

  /**
   * Takes the node executions of a fetched Run. Returns the changes as
   * {nodes: Set<id>, edges: Set<index>}.
   */
  applyRun(run) {
    const changes = { nodes: new Set(), edges: new Set() };
    this.run = { status: run.status, error: run.error ?? null,
      failed_node_id: run.failed_node_id ?? '', outputs: run.outputs ?? {} };
    (run.nodes ?? []).forEach((execution, index) => {
      const node = this.nodes.get(execution.node_id);
      if (!node) return;
      node.executions.set(`run#${index}`, {
        attempt: execution.attempt ?? 1, inputs: execution.inputs ?? {},
        result: execution.result ?? null, scope: '' });
      changes.nodes.add(node.id);
    });
    this.refresh(changes);
    return changes;
  }

  /** Applies RunEvents in order; returns the changes as applyRun does. */
  applyEvents(events) {
    const changes = { nodes: new Set(), edges: new Set() };
    for (const event of events) this.applyEvent(event, changes);
    this.refresh(changes);
    return changes;
  }

  applyEvent(event, changes) {
    const sequence = Number(event.sequence ?? 0);
    if (sequence && sequence <= this.lastSequence) return;  // seen (a stream reopened)
    this.lastSequence = Math.max(this.lastSequence, sequence);
    if (event.run_started) {
      // The stream replays the run from its start: the events now tell
      // every execution, the fetched ones are replaced.
      for (const node of this.nodes.values()) {
        if (node.executions.size || node.branch || node.waitingRetry) changes.nodes.add(node.id);
        node.executions.clear();
        node.branch = '';
        node.waitingRetry = null;
      }
      // A replay of a finished run keeps the status it was fetched with.
      if (this.run.status === 'RUN_PENDING') this.run.status = 'RUN_RUNNING';
      return;
    }
    if (event.run_finished) {
      const finished = event.run_finished;
      this.run = { status: finished.status, error: finished.error ?? null,
        failed_node_id: finished.failed_node_id ?? '', outputs: finished.outputs ?? {} };
      return;
    }
    const detail = event.node_started ?? event.node_retry ?? event.node_finished;
    const node = detail && this.nodes.get(detail.node_id);
    if (!node) return;
    changes.nodes.add(node.id);
    const key = `${scopeKey(detail.scope)}@${detail.attempt ?? 1}`;
    if (event.node_started) {
      node.waitingRetry = null;
      node.executions.set(key, { attempt: detail.attempt ?? 1, inputs: detail.inputs ?? {},
        result: null, scope: scopeKey(detail.scope), startedAt: event.time });
    } else if (event.node_retry) {
      node.waitingRetry = { attempt: detail.attempt, error: detail.error,
        retry_in_ms: detail.retry_in_ms };
      const execution = node.executions.get(key);
      if (execution && !execution.result) {
        execution.result = { status: 'NODE_FAILED', error: detail.error };
      }
    } else {
      const previous = node.executions.get(key);
      node.executions.set(key, { attempt: detail.attempt ?? 1, inputs: detail.inputs ?? {},
        result: detail.result ?? null, scope: scopeKey(detail.scope),
        startedAt: previous?.startedAt, finishedAt: event.time });
      if (detail.branch) node.branch = detail.branch;
    }
  }

  /**
   * Recomputes the states of the changed nodes and of their edges, and on
   * from there: the scheduler reports no event for a skipped node, so a node
   * that never ran is skipped once every edge into it is.
   */
  refresh(changes) {
    const queue = [...changes.nodes];
    for (let next = 0; next < queue.length; ++next) {
      const node = this.nodes.get(queue[next]);
      node.state = this.nodeState(node);
      changes.nodes.add(node.id);
      for (const index of this.edgesOf.get(node.id)) {
        const edge = this.edges[index];
        const state = this.edgeState(edge);
        changes.edges.add(index);
        if (state === edge.state) continue;
        edge.state = state;
        if (edge.target !== node.id) queue.push(edge.target);
      }
    }
  }

  nodeState(node) {
    const executions = [...node.executions.values()];
    if (executions.some((e) => !e.result || e.result.status === 'NODE_RUNNING')) return 'running';
    if (node.waitingRetry) return 'retried';
    if (executions.length === 0) {
      const incoming = this.edgesOf.get(node.id).map((i) => this.edges[i])
        .filter((edge) => edge.target === node.id);
      return incoming.length > 0 && incoming.every((edge) => edge.state === 'skipped')
        ? 'skipped' : 'pending';
    }
    if (executions.some((e) => e.result.status === 'NODE_FAILED')) {
      // Failed attempts followed by a successful one are a retry.
      const latest = executions.reduce((a, b) => (b.attempt >= a.attempt ? b : a));
      return latest.attempt > 1 && latest.result.status === 'NODE_SUCCEEDED' ? 'retried' : 'failed';
    }
    if (executions.some((e) => e.result.status === 'NODE_EXCEPTION')) return 'exception';
    if (executions.every((e) => e.result.status === 'NODE_SKIPPED')) return 'skipped';
    if (executions.some((e) => e.attempt > 1)) return 'retried';
    if (executions.some((e) => e.result.status === 'NODE_SUCCEEDED')) return 'succeeded';
    return 'pending';
  }

  edgeState(edge) {
    const source = this.nodes.get(edge.source);
    const target = this.nodes.get(edge.target);
    if (!source || !target) return 'pending';
    if (source.state === 'skipped') return 'skipped';
    if (!this.handleTaken(source, edge.handle)) return 'skipped';
    if (RAN.has(target.state)) return 'taken';
    if (DONE.has(source.state)) return 'taken';
    return 'pending';
  }

  // Whether the branch `handle` of a finished `source` was followed; true
  // while that is not known yet.
  handleTaken(source, handle) {
    if (handle === 'fail-branch') return !DONE.has(source.state) || source.state === 'exception';
    if (handle === 'success-branch') return source.state !== 'exception';
    if (handle === 'source' || !source.branch) return true;
    if (handle === source.branch) return true;
    // "true" also names an if-else's first case.
    const firstCase = source.spec.if_else?.cases?.[0]?.case_id;
    return (handle === 'true' && source.branch === firstCase) ||
      (source.branch === 'true' && handle === firstCase);
  }

  /** A node's executions, oldest first, for the node panel. */
  executionsOf(id) {
    return [...(this.nodes.get(id)?.executions.values() ?? [])];
  }

  /** How many nodes are in each state. */
  counts() {
    const counts = {};
    for (const node of this.nodes.values()) counts[node.state] = (counts[node.state] ?? 0) + 1;
    return counts;
  }
}
