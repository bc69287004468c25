// The console's shell: navigation, the routes and the API key prompt.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { onKeyRequest, submitApiKey } from './lib/api.js';
import { html } from './lib/html.js';
import { Link, usePath } from './lib/router.js';
import { RunPage } from './pages/run_page.js';
import { RunsPage } from './pages/runs_page.js';
import { WorkersPage } from './pages/workers_page.js';

function KeyPrompt() {
  const [request, setRequest] = useState(null);
  const [key, setKey] = useState('');
  useEffect(() => onKeyRequest(setRequest), []);
  if (!request) return null;
  const submit = (event) => {
    event.preventDefault();
    if (key.trim()) submitApiKey(key);
    setKey('');
  };
  return html`<div class="modal-backdrop">
    <form class="modal key-prompt" onSubmit=${submit}>
      <h2>API key</h2>
      <p>The scheduler asks for an API key: ${request.message}</p>
      <p class="muted">It is kept in this tab only (sessionStorage).</p>
      <input type="password" name="api_key" autocomplete="off" autofocus value=${key}
        onInput=${(e) => setKey(e.currentTarget.value)} />
      <button type="submit">Use key</button>
    </form>
  </div>`;
}

function Page({ path }) {
  const run = path.match(/^\/runs\/([^/]+)\/?$/);
  if (run) return html`<${RunPage} key=${run[1]} runId=${decodeURIComponent(run[1])} />`;
  if (path === '/workers' || path === '/workers/') return html`<${WorkersPage} />`;
  return html`<${RunsPage} />`;
}

function App() {
  const path = usePath();
  const section = path.startsWith('/workers') ? 'workers' : 'runs';
  return html`
    <nav class="top">
      <span class="brand">flowgrid</span>
      <${Link} href="/runs" class=${section === 'runs' ? 'active' : ''}>Runs<//>
      <${Link} href="/workers" class=${section === 'workers' ? 'active' : ''}>Workers<//>
    </nav>
    <main><${Page} path=${path} /></main>
    <${KeyPrompt} />`;
}

render(html`<${App} />`, document.getElementById('app'));
