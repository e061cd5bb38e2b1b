/** p50/p95/p99/max of a sample, rounded for printing. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Percentiles by nearest rank. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1] ?? NaN) };
}

/** Prints rows of summaries as an aligned table. */
export function printTable(rows: ReadonlyArray<readonly [string, Summary]>): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`${'metric'.padEnd(width)}  ${['n', 'p50', 'p95', 'p99', 'max'].map((h) => h.padStart(9)).join('')}\n`);
  for (const [label, s] of rows) {
    process.stdout.write(`${label.padEnd(width)}  ${[s.n, s.p50, s.p95, s.p99, s.max].map((v) => String(v).padStart(9)).join('')}\n`);
  }
}
