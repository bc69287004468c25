// The side panel of a selected node: what it is, then each execution
// (attempts, iteration rounds), newest first, with inputs, outputs,
// stdout/stderr, usage and the error with the user's traceback.
import { Component } from 'preact';
import { formatBytes, formatMicros, statusLabel } from '../lib/format.js';
import { html } from '../lib/html.js';
import { formatValueMap } from '../lib/values.js';

// A node run in thousands of iteration rounds would make a page too long.
const MAX_EXECUTIONS_SHOWN = 50;

function Output({ name, text, truncated }) {
  if (!text) return html`<div class="stream"><h4>${name}</h4><span class="muted">empty</span></div>`;
  return html`<div class="stream"><h4>${name}${truncated ? ' (truncated)' : ''}</h4>
    <pre class=${name}>${text}</pre></div>`;
}

function NodeErrorView({ error }) {
  if (!error || (!error.message && !error.traceback)) return null;
  return html`<div class="node-error">
    <h4>Error</h4>
    <p><strong>${error.code}</strong>${` ${error.message}`}</p>
    ${error.traceback && html`<pre class="traceback">${error.traceback}</pre>`}
  </div>`;
}

function Execution({ execution }) {
  const result = execution.result;
  const usage = result?.usage;
  return html`<article class="execution">
    <header>
      <span>attempt ${execution.attempt}</span>
      ${execution.scope && html`<span class="muted"> · ${execution.scope}</span>`}
      <span class=${`badge ${result ? statusLabel(result.status) : 'running'}`}>
        ${result ? statusLabel(result.status) : 'running'}</span>
    </header>
    ${usage && html`<dl class="usage">
      <dt>wall</dt><dd>${formatMicros(usage.wall_us)}</dd>
      <dt>CPU</dt><dd>${formatMicros(usage.cpu_us)}</dd>
      <dt>peak memory</dt><dd>${formatBytes(usage.peak_memory_bytes)}</dd>
    </dl>`}
    <${NodeErrorView} error=${result?.error} />
    ${(result?.warnings ?? []).map((w) => html`<p class="warning">${w}</p>`)}
    <h4>Inputs</h4><pre class="inputs">${formatValueMap(execution.inputs)}</pre>
    ${result && html`<h4>Outputs</h4><pre class="outputs">${formatValueMap(result.outputs)}</pre>`}
    ${result && html`<${Output} name="stdout" text=${result.stdout} truncated=${result.stdout_truncated} />
      <${Output} name="stderr" text=${result.stderr} truncated=${result.stderr_truncated} />`}
  </article>`;
}

/**
 * Props: state (RunState), nodeId, version (bumped when that node changed),
 * onClose. Re-renders only when the node or its version changes.
 */
export class NodePanel extends Component {
  shouldComponentUpdate(next) {
    return next.nodeId !== this.props.nodeId || next.version !== this.props.version;
  }

  render({ state, nodeId, onClose }) {
    const node = state.nodes.get(nodeId);
    if (!node) return null;
    const executions = state.executionsOf(nodeId).reverse();
    const code = node.spec.code;
    return html`<aside class="node-panel" data-node-id=${nodeId}>
      <header>
        <div>
          <h2>${node.title}</h2>
          <div class="muted mono">${node.id} · ${node.kind}${node.parent ? ` in ${node.parent}` : ''}</div>
        </div>
        <button class="close" title="close" onClick=${onClose}>×</button>
      </header>
      <p>State: <span class=${`badge ${node.state}`}>${node.state}</span>
        ${` · ${executions.length} execution${executions.length === 1 ? '' : 's'}`}</p>
      ${node.waitingRetry && html`<p class="warning">Attempt ${node.waitingRetry.attempt} failed;
        retrying in ${node.waitingRetry.retry_in_ms} ms.</p>
        <${NodeErrorView} error=${node.waitingRetry.error} />`}
      ${code && html`<details><summary>Code (${code.language})</summary><pre>${code.code}</pre></details>`}
      ${executions.slice(0, MAX_EXECUTIONS_SHOWN).map((e) => html`<${Execution} execution=${e} />`)}
      ${executions.length > MAX_EXECUTIONS_SHOWN &&
        html`<p class="muted">${executions.length - MAX_EXECUTIONS_SHOWN} older executions not shown.</p>`}
    </aside>`;
  }
}
