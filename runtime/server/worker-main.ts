/*
 * Entry point of a `serve --workers N` worker process (forked by cluster.ts with the primary's options in
 * VOICEAGENT_SERVE_OPTIONS). Drains on SIGTERM or SIGINT, and exits at once on a second signal.
 */
import { runClusterWorker } from './cluster.js';
import { createLogger } from './logger.js';
import type { ServeOptions } from './serve.js';

const worker = process.env.VOICEAGENT_WORKER ?? '?';
const log = createLogger(undefined, { worker });
const options = JSON.parse(process.env.VOICEAGENT_SERVE_OPTIONS ?? '{}') as Omit<ServeOptions, 'env' | 'log'>;
try {
  const server = await runClusterWorker({ ...options, env: process.env, log });
  let signals = 0;
  const stop = () => {
    if (++signals > 1) process.exit(1);
    void server.drain().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The primary going away takes the worker with it, after a drain.
  process.on('disconnect', stop);
} catch (error) {
  log.error('worker failed to start', { message: (error as Error)?.message });
  process.exit(2);
}
