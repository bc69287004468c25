// Workers: every connected worker with its slots, state and verdict
// counts, refreshed every 2 s.
import { formatTime } from '../lib/format.js';
import { html } from '../lib/html.js';
import { listWorkers } from '../lib/api.js';
import { usePoll } from '../lib/poll.js';
import { Link } from '../lib/router.js';
import { ErrorNote } from './error_note.js';

const REFRESH_MS = 2000;

function runtimeLabel(runtime) {
  return { PYTHON3: 'Python', JAVASCRIPT: 'JavaScript' }[runtime] ?? String(runtime);
}

// WorkerStatus.verdicts: the results it reported since it connected, by
// verdict ("ok", "timeout", "runtime_error", ...).
function Verdicts({ verdicts }) {
  const entries = Object.entries(verdicts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return html`<span class="muted">–</span>`;
  return html`${entries.map(([name, count]) =>
    html`<span class="verdict" title=${name}>${name}: ${count}</span> `)}`;
}

// Job ids are "<run id>/<task>/<attempt>": each links to its run.
function RunningJobs({ jobs }) {
  if (jobs.length === 0) return html`<span class="muted">–</span>`;
  return jobs.map((job) => html`<div key=${job}>
    <${Link} href=${`/runs/${encodeURIComponent(job.split('/')[0])}`}>${job}<//></div>`);
}

function SlotBar({ slots, free }) {
  const busy = Math.max(0, slots - free);
  return html`<span class="slots" title=${`${busy} busy, ${free} free of ${slots}`}>
    ${Array.from({ length: slots }, (_, i) =>
      html`<span class=${i < busy ? 'slot busy' : 'slot free'}></span>`)}
    <span class="slot-text">${busy} busy / ${free} free</span>
  </span>`;
}

export function WorkersPage() {
  const { data, error } = usePoll((signal) => listWorkers(signal), REFRESH_MS, []);
  const workers = data?.workers ?? [];
  return html`
    <section class="page workers-page">
      <h1>Workers</h1>
      ${error && html`<${ErrorNote} error=${error} />`}
      <table class="workers">
        <thead><tr>
          <th>Worker</th><th>State</th><th>Slots</th><th>Runtimes</th><th>Running jobs</th>
          <th>Verdicts since connected</th><th>Connected</th><th>Last seen</th>
        </tr></thead>
        <tbody>
          ${workers.map((worker) => html`
            <tr key=${worker.worker_id} data-worker-id=${worker.worker_id}>
              <td><div class="mono">${worker.worker_id}</div><div class="muted">${worker.peer}</div></td>
              <td><span class=${`badge ${worker.state === 'DRAINING' ? 'draining' : 'connected'}`}>
                ${worker.state === 'DRAINING' ? 'draining' : 'connected'}</span></td>
              <td><${SlotBar} slots=${worker.slots ?? 0} free=${worker.free_slots ?? 0} /></td>
              <td>${(worker.runtimes ?? []).map(runtimeLabel).join(', ')}</td>
              <td class="mono small"><${RunningJobs} jobs=${worker.running_jobs ?? []} /></td>
              <td><${Verdicts} verdicts=${worker.verdicts} /></td>
              <td>${formatTime(worker.connected_at)}</td>
              <td>${formatTime(worker.last_seen)}</td>
            </tr>`)}
        </tbody>
      </table>
      ${data && workers.length === 0 && html`<p class="empty">No worker is connected.</p>`}
    </section>`;
}
