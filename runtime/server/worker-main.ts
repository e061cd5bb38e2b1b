/*
 * Entry point of a `serve --workers N` worker process (forked by cluster.ts with the primary's options in
 * VOICEAGENT_SERVE_OPTIONS). Drains on SIGTERM or SIGINT or when the primary asks, and exits at once on a
 * second signal.
 */
import { runClusterWorker } from './cluster.js';
import { createLogger } from './logger.js';
import type { ServeOptions } from './serve.js';

const worker = process.env.VOICEAGENT_WORKER ?? '?';
const log = createLogger(undefined, { worker });
const options = JSON.parse(process.env.VOICEAGENT_SERVE_OPTIONS ?? '{}') as Omit<ServeOptions, 'env' | 'log'>;
try {
  const server = await runClusterWorker({ ...options, env: process.env, log });
  let drained: Promise<void> | undefined;
  const drain = () => void (drained ??= server.drain().then(() => process.exit(0)));
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(1);
    drain();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The primary asks for a drain over IPC (a Ctrl-C also signals this process directly: that is one signal, not two).
  process.on('message', (message: unknown) => {
    if ((message as { va?: unknown } | null)?.va === 'drain') drain();
  });
  // The primary going away takes the worker with it, after a drain.
  process.on('disconnect', drain);
} catch (error) {
  const message = (error as Error)?.message ?? String(error);
  log.error('worker failed to start', { message });
  // The primary turns this into the CLI's one-line refusal; exit once it is on its way.
  if (process.send && process.connected) process.send({ va: 'failed', message }, () => process.exit(2));
  else process.exit(2);
}
