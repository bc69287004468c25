// Loads data now and again every `intervalMs` while the component is
// mounted; a slow answer is never overtaken by the next request.
import { useEffect, useState } from 'preact/hooks';

/**
 * @param {(signal: AbortSignal) => Promise<T>} load
 * @param {number} intervalMs
 * @param {any[]} deps  restart the polling when they change (the last data stays until new data comes)
 * @returns {{data: T|null, error: Error|null, reload: () => void}}
 */
export function usePoll(load, intervalMs, deps) {
  const [state, setState] = useState({ data: null, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    let timer = 0;
    const tick = async () => {
      try {
        const data = await load(controller.signal);
        if (!controller.signal.aborted) setState({ data, error: null });
      } catch (error) {
        if (!controller.signal.aborted) setState((s) => ({ data: s.data, error }));
      }
      if (!controller.signal.aborted) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [...deps, generation]);
  return { ...state, reload: () => setGeneration((g) => g + 1) };
}
