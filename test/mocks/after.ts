/**
 * Runs `fn` after `ms`; returns a cancel function. A configured latency of 0 means none: `setImmediate`, not
 * `setTimeout(fn, 0)`, which Node rounds up to 1 ms (plus timer lateness), a delay the mock would add to every
 * measurement of the client's own latency.
 */
export function after(ms: number, fn: () => void): () => void {
  if (ms > 0) {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  }
  const immediate = setImmediate(fn);
  return () => clearImmediate(immediate);
}
