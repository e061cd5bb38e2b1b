/*
 * With --workers 2, /metrics lands on whichever worker accepted the request and must be the sum over both.
 * prom-client's workers answer the primary's aggregation request only once an AggregatorRegistry exists in
 * them: without it every request waited 5 s and got "the primary did not answer in time" (found by
 * bench:serve). Now the summed registry comes back at once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { killServes, makeDataDir, removeDataDirs, startServe } from './serve-process.js';

afterAll(async () => {
  await killServes();
  removeDataDirs();
});

describe('metrics over workers', () => {
  it('answers /metrics with the sum over both workers, at once', async () => {
    const serve = await startServe(['--offline', '--port', '0', '--workers', '2', '--data', makeDataDir(), 'agents/receptionist.yaml']);
    expect(serve.listening.workers).toBe(2);
    const started = performance.now();
    const text = await (await fetch(`${serve.url}/metrics`)).text();
    expect(performance.now() - started).toBeLessThan(4000);
    expect(text).not.toContain('did not answer in time');
    expect(text).toContain('# TYPE voiceagent_calls_active gauge');
    expect(text).toMatch(/voiceagent_nodejs_eventloop_lag_p99_seconds/);
    serve.signal('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  });
});
