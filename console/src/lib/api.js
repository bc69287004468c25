// The scheduler's console JSON API (/api/v1/..., proto JSON with
// snake_case field names, int64 as strings). When the scheduler has API
// keys, a 401 answer asks the user for a key (through the prompt the app
// shows, see onKeyRequest), keeps it in sessionStorage and retries; every
// request sends it as `Authorization: Bearer <key>`.
import { SseParser } from './sse.js';

const KEY_STORAGE = 'flowgrid.api_key';
// Prompts before giving up on one request (each a key the server refused).
const MAX_KEY_PROMPTS = 3;
// gRPC codes of a broken event stream that opening it again may cure.
const RETRIED_STREAM_ERRORS = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED',
  'ABORTED', 'CANCELLED', 'INTERNAL', 'UNKNOWN']);

// The gateway's answer to RESOURCE_EXHAUSTED (the watch rate): try again.
const HTTP_TOO_MANY_REQUESTS = 429;

export class ApiError extends Error {
  constructor(httpStatus, code, message) {
    super(message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.code = code || `HTTP_${httpStatus}`;
  }
}

// The prompt shown to the user: {message, retry} while one is open.
let keyRequest = null;
const keyRequestListeners = new Set();

/** Subscribes to the key prompt's state (null when closed); returns an unsubscribe. */
export function onKeyRequest(listener) {
  keyRequestListeners.add(listener);
  listener(keyRequest && { message: keyRequest.message });
  return () => keyRequestListeners.delete(listener);
}

/** The user's answer to the prompt: keeps the key and retries the waiting requests. */
export function submitApiKey(key) {
  sessionStorage.setItem(KEY_STORAGE, key.trim());
  const request = keyRequest;
  keyRequest = null;
  for (const listener of keyRequestListeners) listener(null);
  request?.resolve();
}

function askForKey(message) {
  if (!keyRequest) {
    let resolve;
    const answered = new Promise((r) => { resolve = r; });
    keyRequest = { message, resolve, answered };
    for (const listener of keyRequestListeners) listener({ message });
  }
  return keyRequest.answered;
}

async function errorOf(response) {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    return new ApiError(response.status, body.code, body.message);
  } catch {
    return new ApiError(response.status, '', text.slice(0, 500));
  }
}

/** fetch() with the API key; a 401 prompts for a key and tries again. */
async function apiFetch(path, init = {}) {
  for (let prompts = 0; ; ++prompts) {
    const key = sessionStorage.getItem(KEY_STORAGE);
    const headers = { Accept: 'application/json', ...(init.headers ?? {}) };
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch(path, { ...init, headers });
    if (response.status !== 401) {
      if (!response.ok) throw await errorOf(response);
      return response;
    }
    const error = await errorOf(response);
    if (prompts >= MAX_KEY_PROMPTS) throw error;
    await askForKey(key ? `The key was refused: ${error.message}` : error.message);
  }
}

async function getJson(path, init) {
  return (await apiFetch(path, init)).json();
}

/**
 * A page of runs, newest first. `filter`: {status, workflow, created_after,
 * created_before (RFC 3339)}; empty fields are left out.
 */
export function listRuns({ pageSize = 25, pageToken = '', filter = {} } = {}, signal) {
  const query = new URLSearchParams({ page_size: String(pageSize) });
  if (pageToken) query.set('page_token', pageToken);
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  return getJson(`/api/v1/runs?${query}`, { signal });
}

export function getRun(runId, signal) {
  return getJson(`/api/v1/runs/${encodeURIComponent(runId)}`, { signal });
}

export function cancelRun(runId) {
  return getJson(`/api/v1/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST' });
}

/** Starts the run again with the same inputs; resolves to the new run id. */
export async function rerun(runId) {
  return (await getJson(`/api/v1/runs/${encodeURIComponent(runId)}/rerun`, { method: 'POST' }))
    .run_id;
}

export function listWorkers(signal) {
  return getJson('/api/v1/workers', { signal });
}

/**
 * Streams a run's events (RunEvent objects) after `afterSequence` to
 * `onEvent` until run_finished or `signal` aborts. A stream that breaks
 * before run_finished (the connection, a 5xx, a 429 from the scheduler's
 * per-client watch rate, or an `event: error` with a transient code) is
 * opened again after the last sequence seen, with a
 * growing pause (at most `maxPauseMs`); other errors reject.
 */
export async function watchRun(runId, afterSequence, onEvent, signal, maxPauseMs = 5000) {
  let last = Number(afterSequence);
  let pauseMs = 250;
  while (!signal.aborted) {
    let finished = false;
    let reader;
    try {
      const response = await apiFetch(
        `/api/v1/runs/${encodeURIComponent(runId)}/events?after_sequence=${last}`,
        { signal, headers: { Accept: 'text/event-stream' } });
      const parser = new SseParser(({ type, data }) => {
        if (type === 'error') {
          // The stream broke after it started (the server's last event).
          const { code, message } = JSON.parse(data);
          throw new ApiError(RETRIED_STREAM_ERRORS.has(code) ? 503 : 400, code, message);
        }
        const event = JSON.parse(data);
        last = Math.max(last, Number(event.sequence));
        if (event.run_finished) finished = true;
        onEvent(event);
      });
      reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
        pauseMs = 250;
      }
    } catch (error) {
      if (signal.aborted) return;
      const transient = error instanceof ApiError &&
        (error.httpStatus >= 500 || error.httpStatus === HTTP_TOO_MANY_REQUESTS);
      if (error instanceof ApiError && !transient) throw error;
    } finally {
      reader?.cancel().catch(() => {});
    }
    if (finished) return;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(maxPauseMs, pauseMs * 2);
  }
}
