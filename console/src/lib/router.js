// Client-side routes on the History API (the server answers index.html for
// every path outside /api/).
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';

const listeners = new Set();

export function navigate(path) {
  if (path === location.pathname + location.search) return;
  history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

addEventListener('popstate', () => {
  for (const listener of listeners) listener();
});

/** The current location's path, re-rendering on navigation. */
export function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const listener = () => setPath(location.pathname);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
  return path;
}

/** An <a> that navigates without reloading (modified clicks still open tabs). */
export function Link({ href, children, ...rest }) {
  const onClick = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
