// Runs: a page of runs, newest first, filtered by status, workflow name and
// creation time; refreshed every 2 s, with running durations ticking.
import { useEffect, useState } from 'preact/hooks';
import { listRuns } from '../lib/api.js';
import {
  formatDurationMs, formatTime, runDurationMs, runInProgress, runStatusClass, statusLabel,
} from '../lib/format.js';
import { html } from '../lib/html.js';
import { usePoll } from '../lib/poll.js';
import { Link } from '../lib/router.js';
import { ErrorNote } from './error_note.js';

const REFRESH_MS = 2000;
const PAGE_SIZE = 25;
const STATUSES = ['RUN_PENDING', 'RUN_RUNNING', 'RUN_SUCCEEDED', 'RUN_PARTIAL_SUCCEEDED',
  'RUN_FAILED', 'RUN_CANCELLED'];

// <input type="datetime-local"> holds local time without a zone.
function toRfc3339(localDateTime) {
  return localDateTime ? new Date(localDateTime).toISOString() : '';
}

function useNow(active) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function RunsPage() {
  const [form, setForm] = useState({ status: '', workflow: '', after: '', before: '' });
  const [filter, setFilter] = useState(form);
  // Tokens of the pages before the current one; the current page's last.
  const [tokens, setTokens] = useState(['']);
  const pageToken = tokens[tokens.length - 1];
  const { data, error } = usePoll((signal) => listRuns({
    pageSize: PAGE_SIZE, pageToken, filter: {
      status: filter.status, workflow: filter.workflow.trim(),
      created_after: toRfc3339(filter.after), created_before: toRfc3339(filter.before),
    },
  }, signal), REFRESH_MS, [filter, pageToken]);
  const runs = data?.runs ?? [];
  const now = useNow(runs.some((run) => runInProgress(run.status)));

  const apply = (event) => {
    event.preventDefault();
    setFilter({ ...form });
    setTokens(['']);
  };
  const field = (name) => (event) => setForm({ ...form, [name]: event.currentTarget.value });

  return html`
    <section class="page runs-page">
      <h1>Runs</h1>
      <form class="filters" onSubmit=${apply}>
        <label>Status
          <select name="status" value=${form.status} onChange=${field('status')}>
            <option value="">any</option>
            ${STATUSES.map((s) => html`<option value=${s}>${statusLabel(s)}</option>`)}
          </select>
        </label>
        <label>Workflow
          <input name="workflow" placeholder="name" value=${form.workflow} onInput=${field('workflow')} />
        </label>
        <label>Created after
          <input name="after" type="datetime-local" value=${form.after} onInput=${field('after')} />
        </label>
        <label>before
          <input name="before" type="datetime-local" value=${form.before} onInput=${field('before')} />
        </label>
        <button type="submit">Filter</button>
      </form>
      ${error && html`<${ErrorNote} error=${error} />`}
      <table class="runs">
        <thead><tr>
          <th>Run</th><th>Workflow</th><th>Status</th><th>Created</th><th>Duration</th><th>Error</th>
        </tr></thead>
        <tbody>
          ${runs.map((run) => html`
            <tr key=${run.run_id} data-run-id=${run.run_id} class=${`run ${runStatusClass(run.status)}`}>
              <td class="mono"><${Link} href=${`/runs/${run.run_id}`}>${run.run_id}<//></td>
              <td>${run.workflow_name}</td>
              <td><span class=${`badge ${runStatusClass(run.status)}`}>${statusLabel(run.status)}</span></td>
              <td>${formatTime(run.created_at)}</td>
              <td class="num">${formatDurationMs(runDurationMs(run, now))}</td>
              <td class="error-cell" title=${run.error?.message ?? ''}>
                ${run.error?.message ? `${run.error.code ?? ''}: ${run.error.message}` : ''}
              </td>
            </tr>`)}
        </tbody>
      </table>
      ${data && runs.length === 0 && html`<p class="empty">No runs match.</p>`}
      <nav class="pager">
        <button disabled=${tokens.length <= 1} onClick=${() => setTokens(tokens.slice(0, -1))}>
          ← Newer</button>
        <span>page ${tokens.length}</span>
        <button disabled=${!data?.next_page_token}
          onClick=${() => setTokens([...tokens, data.next_page_token])}>Older →</button>
      </nav>
    </section>`;
}
