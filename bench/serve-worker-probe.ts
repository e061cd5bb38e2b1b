/*
 * Preloaded into `voiceagent serve` by bench:serve (`node --import tsx --expose-gc --import this-file …`); the
 * cluster workers inherit the primary's exec arguments, so it runs in every worker too, where it measures:
 *   - the event-loop delay of this worker (perf_hooks.monitorEventLoopDelay at 10 ms resolution, as
 *     prom-client's default metrics do): /metrics only has the workers' average of it;
 *   - this worker's memory after a forced garbage collection, for the leak check.
 * On SIGUSR2 it writes `lag-<pid>.json` into BENCH_SERVE_PROBE_DIR (the delay since the previous signal, then
 * a full GC, then memory), and starts a new delay window. It changes nothing else in the process; in the
 * primary it does nothing.
 */
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a worker reports on SIGUSR2. */
export interface ProbeReading {
  readonly pid: number;
  readonly worker: string;
  /** Event-loop delay since the previous reading, ms. */
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  /** After a full GC (when exposed), bytes. */
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  readonly externalBytes: number;
  readonly gc: boolean;
  /** Increases with each reading, so the reader can tell a fresh file from a stale one. */
  readonly sequence: number;
}

const dir = process.env.BENCH_SERVE_PROBE_DIR;
if (cluster.isWorker && dir) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let sequence = 0;
  process.on('SIGUSR2', () => {
    const lag = { lagP50Ms: delay.percentile(50) / 1e6, lagP99Ms: delay.percentile(99) / 1e6, lagMaxMs: delay.max / 1e6 };
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const memory = process.memoryUsage();
    delay.reset();
    const reading: ProbeReading = { pid: process.pid, worker: process.env.VOICEAGENT_WORKER ?? '?', ...lag, heapUsedBytes: memory.heapUsed, rssBytes: memory.rss, externalBytes: memory.external, gc: gc !== undefined, sequence: ++sequence };
    writeFileSync(join(dir, `lag-${process.pid}.json`), JSON.stringify(reading));
  });
}
