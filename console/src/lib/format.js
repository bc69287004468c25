// Display forms of the API's timestamps, durations, sizes and enum names.

/** "RUN_PARTIAL_SUCCEEDED" -> "partial succeeded", "NODE_FAILED" -> "failed". */
export function statusLabel(status) {
  return String(status ?? '').replace(/^(RUN_STATUS_|RUN_|NODE_STATUS_|NODE_)/, '')
    .toLowerCase().replaceAll('_', ' ');
}

/** A run status as a CSS class: "RUN_SUCCEEDED" -> "succeeded". */
export function runStatusClass(status) {
  return statusLabel(status).replaceAll(' ', '-');
}

/** Milliseconds from an RFC 3339 timestamp; NaN when absent. */
export function timestampMs(timestamp) {
  return timestamp ? Date.parse(timestamp) : NaN;
}

/** A run's duration: to finished_at, or to `nowMs` while it runs. */
export function runDurationMs(run, nowMs) {
  const start = timestampMs(run.created_at);
  const end = run.finished_at ? timestampMs(run.finished_at) : nowMs;
  return Number.isNaN(start) || Number.isNaN(end) ? NaN : Math.max(0, end - start);
}

/** 950 -> "950 ms", 61500 -> "1 min 1.5 s". */
export function formatDurationMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60000);
  const seconds = ((ms % 60000) / 1000).toFixed(1);
  return minutes < 60 ? `${minutes} min ${seconds} s`
    : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** An int64 microseconds string ("1500") -> "1.50 ms". */
export function formatMicros(us) {
  const n = Number(us ?? 0);
  return n < 1000 ? `${n} µs` : formatDurationMs(n / 1000);
}

/** An int64 byte count string -> "12.3 MiB". */
export function formatBytes(bytes) {
  let n = Number(bytes ?? 0);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(1)} ${units[unit]}`;
}

/** An RFC 3339 timestamp in the browser's local time, to the second. */
export function formatTime(timestamp) {
  const ms = timestampMs(timestamp);
  if (Number.isNaN(ms)) return '–';
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** Whether a run can still change (its list row and page keep updating). */
export function runInProgress(status) {
  return status === 'RUN_PENDING' || status === 'RUN_RUNNING';
}
