import { useEffect, useState } from 'react';
import type { CallView } from '../../runtime/index.js';
import type { ViewSource } from './view-source.js';

/**
 * Screen updates per second at most: the call reports levels and heard progress every 100 ms, so ten a second
 * shows every sample, and keeps a busy call's screen under 10 % of a core (`npm run bench:tui`; at 15 it was 12 %).
 */
export const MAX_RENDERS_PER_SECOND = 10;

/**
 * The source's view and notes, re-read at most `MAX_RENDERS_PER_SECOND` times a second: a change schedules
 * one update at the end of the current interval, and every change until then rides along with it.
 */
export function useThrottledView(source: ViewSource, intervalMs = 1000 / MAX_RENDERS_PER_SECOND): { readonly view: CallView; readonly notes: readonly string[] } {
  const [state, setState] = useState(() => ({ view: source.getView(), notes: source.getNotes() }));
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let lastMs = 0;
    const flush = () => {
      timer = undefined;
      lastMs = performance.now();
      setState({ view: source.getView(), notes: source.getNotes() });
    };
    const unsubscribe = source.subscribe(() => {
      if (timer) return;
      timer = setTimeout(flush, Math.max(0, lastMs + intervalMs - performance.now()));
    });
    flush();
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [source, intervalMs]);
  return state;
}
