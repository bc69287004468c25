// Run detail: the run's header and actions, its graph (laid out once) and
// the panel of the selected node. Live: the run's event stream is read
// from its start; events are applied once per animation frame and repaint
// only the nodes and edges they touched.
import { Component, createRef } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { cancelRun, getRun, rerun, watchRun } from '../lib/api.js';
import {
  formatDurationMs, formatTime, runDurationMs, runInProgress, runStatusClass, statusLabel,
} from '../lib/format.js';
import { FrameBatch } from '../lib/frame_batch.js';
import { html } from '../lib/html.js';
import { navigate } from '../lib/router.js';
import { GraphView } from '../graph/graph_view.js';
import { RunState } from '../graph/run_state.js';
import { ErrorNote } from './error_note.js';
import { NodePanel } from './node_panel.js';

const STATES = ['pending', 'running', 'succeeded', 'retried', 'failed', 'exception', 'skipped'];

// The SVG host: preact renders the empty div once and never again; the
// GraphView owns what is inside.
class GraphHost extends Component {
  host = createRef();

  shouldComponentUpdate() {
    return false;
  }

  componentDidMount() {
    this.props.onMount(this.host.current);
  }

  render() {
    return html`<div class="graph-host" ref=${this.host}></div>`;
  }
}

function Legend({ counts }) {
  return html`<ul class="legend">
    ${STATES.map((s) => html`<li><span class=${`swatch ${s}`}></span>${s}
      <span class="count" data-state=${s}>${counts[s] ?? 0}</span></li>`)}
  </ul>`;
}

export function RunPage({ runId }) {
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState('');
  const [selectedVersion, setSelectedVersion] = useState(0);
  const [, setFrame] = useState(0);
  const [busy, setBusy] = useState(false);
  const live = useRef({ state: null, view: null, selected: '', batch: null, controller: null });

  useEffect(() => {
    const controller = new AbortController();
    live.current.controller = controller;
    getRun(runId, controller.signal).then((fetched) => {
      const state = new RunState(fetched.workflow);
      state.applyRun(fetched);
      live.current.state = state;
      setRun(fetched);
    }, (e) => !controller.signal.aborted && setError(e));
    return () => {
      controller.abort();
      live.current.batch?.cancel();
    };
  }, [runId]);

  // Once the graph's host is in the page: lay out and draw, then follow the
  // events.
  const onGraphMount = async (host) => {
    const current = live.current;
    host.textContent = `Laying out ${current.state.nodes.size} nodes…`;
    let view;
    try {
      view = await GraphView.create(host, current.state, (id) => {
        current.selected = id;
        view.select(id);
        setSelected(id);
      });
    } catch (e) {
      setError(e);
      return;
    }
    if (current.controller.signal.aborted) return;
    current.view = view;
    current.batch = new FrameBatch((events) => {
      const started = performance.now();
      const changes = current.state.applyEvents(events);
      view.update(changes);
      // Read by the large-run test: how long each frame's batch took.
      performance.measure('flowgrid.events', { start: started, detail: { events: events.length } });
      if (changes.nodes.has(current.selected)) setSelectedVersion((v) => v + 1);
      setFrame((f) => f + 1);
      if (events.some((e) => e.run_finished)) {
        getRun(runId, current.controller.signal).then(setRun, () => {});
      }
    });
    // A run that had finished when fetched is drawn from the fetch; its
    // replayed events (which add the branches taken) are applied in one
    // go once complete, so its nodes never flicker back through their
    // earlier states.
    let held = runInProgress(current.state.run.status) ? null : [];
    const onEvent = (event) => {
      if (!held) {
        current.batch.push(event);
        return;
      }
      held.push(event);
      if (event.run_finished) {
        for (const e of held) current.batch.push(e);
        held = null;
      }
    };
    watchRun(runId, 0, onEvent, current.controller.signal)
      .catch((e) => !current.controller.signal.aborted && setError(e));
  };

  if (error && !run) return html`<section class="page"><${ErrorNote} error=${error} /></section>`;
  if (!run) return html`<section class="page"><p class="muted">Loading run ${runId}…</p></section>`;

  const state = live.current.state;
  const status = state.run.status ?? run.status;
  const runError = state.run.error ?? run.error;
  const act = async (action) => {
    setBusy(true);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const onCancel = () => act(async () => setRun(await cancelRun(runId)));
  const onRerun = () => act(async () => navigate(`/runs/${await rerun(runId)}`));
  const closePanel = () => {
    live.current.selected = '';
    live.current.view?.select('');
    setSelected('');
  };

  return html`
    <section class="page run-page">
      <header class="run-header">
        <div>
          <h1>${run.workflow_name} <span class="mono muted run-id">${run.run_id}</span></h1>
          <p>
            <span class=${`badge run-status ${runStatusClass(status)}`}>${statusLabel(status)}</span>
            ${` · created ${formatTime(run.created_at)} · `}
            ${run.finished_at ? `took ${formatDurationMs(runDurationMs(run, Date.now()))}`
              : runInProgress(status) ? 'in progress' : ''}
          </p>
          ${runError?.message && html`<p class="run-error"><strong>${runError.code}</strong>
            ${` ${runError.message}`}</p>`}
        </div>
        <div class="actions">
          <button class="cancel" disabled=${busy || !runInProgress(status)} onClick=${onCancel}>Cancel run</button>
          <button class="rerun" disabled=${busy} onClick=${onRerun}>Re-run with same inputs</button>
        </div>
      </header>
      ${error && html`<${ErrorNote} error=${error} />`}
      <${Legend} counts=${state.counts()} />
      <div class="run-body">
        <${GraphHost} onMount=${onGraphMount} />
        ${selected && html`<${NodePanel} state=${state} nodeId=${selected}
          version=${selectedVersion} onClose=${closePanel} />`}
      </div>
    </section>`;
}
