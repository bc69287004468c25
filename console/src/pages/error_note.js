// An API failure as shown on a page: the code and the server's message.
import { html } from '../lib/html.js';

export function ErrorNote({ error }) {
  return html`<p class="error-note" role="alert">
    ${error.code ? html`<strong>${error.code}</strong> ` : ''}${error.message}</p>`;
}
