import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { CallEvent } from '../call/events.js';
import { createEventFeed, type EventFeed } from './event-feed.js';
import type { Logger } from './logger.js';
import { createServerMetrics } from './metrics.js';
import { ServeError, startServer, type RunningServer, type ServeOptions } from './serve.js';

/*
 * `serve --workers N`: N worker processes (node:cluster) behind one port. A call lives on the worker that
 * accepted its socket (frames never cross processes); the primary only sums metrics and relays the live feed.
 *
 * IPC, worker -> primary: `metrics?` (a worker was asked for /metrics), `event` (a call event: call.started
 * and call.ended always, every other kind only while some worker has feed subscribers), `subscribers` (this
 * worker's feed count), `failed` (it could not start: why). Primary -> workers: `metrics` (the summed
 * text), `event` (another worker's event), `feed` (whether anyone subscribes), `drain` (stop taking calls).
 */

type ToPrimary = { va: 'metrics?'; id: number } | { va: 'event'; event: CallEvent } | { va: 'subscribers'; count: number } | { va: 'ready'; url: string } | { va: 'failed'; message: string };
type ToWorker = { va: 'metrics'; id: number; text: string } | { va: 'event'; event: CallEvent } | { va: 'feed'; active: boolean } | { va: 'drain' };

const isMessage = (message: unknown): message is { va: string } => typeof message === 'object' && message !== null && typeof (message as { va?: unknown }).va === 'string';

/** What the primary reports once every worker listens. */
export interface ClusterHandle {
  readonly url: string;
  readonly workers: number;
  /** Drains every worker (SIGTERM to each): resolves when all have exited. */
  drain(): Promise<void>;
  /** Kills every worker now. */
  kill(): void;
}

/**
 * The primary: forks `workers` processes running {@link runClusterWorker} with the same options, sums their
 * metrics for `/metrics`, relays the live feed, and restarts none (a crashed worker's calls are over; its
 * records are written by the calls that ended before). Resolves once every worker listens.
 */
export async function startClusterPrimary(options: { readonly workers: number; readonly log: Logger; readonly workerArgs: readonly string[]; readonly exec: string }): Promise<ClusterHandle> {
  const aggregator = new AggregatorRegistry();
  const feedCounts = new Map<number, number>();
  let feedActive = false;
  cluster.setupPrimary({ exec: options.exec, args: [...options.workerArgs], silent: false });
  const workers: Worker[] = [];
  const broadcast = (message: ToWorker, except?: Worker) => {
    for (const worker of workers) if (worker !== except && worker.isConnected()) worker.send(message);
  };
  const urls: Promise<string>[] = [];
  for (let i = 0; i < options.workers; i++) {
    const worker = cluster.fork({ VOICEAGENT_WORKER: String(i + 1) });
    workers.push(worker);
    urls.push(
      new Promise((resolve, reject) => {
        worker.once('exit', (code) => reject(new Error(`worker ${i + 1} exited (code ${code}) before it listened`)));
        worker.on('message', (message: unknown) => {
          if (!isMessage(message)) return;
          const m = message as ToPrimary;
          if (m.va === 'ready') resolve(m.url);
          // A worker that could not start (the port in use) says why: the CLI prints it, not "worker exited".
          else if (m.va === 'failed') reject(new ServeError(m.message));
          else if (m.va === 'metrics?') {
            aggregator
              .clusterMetrics()
              .then((text) => worker.isConnected() && worker.send({ va: 'metrics', id: m.id, text } satisfies ToWorker))
              .catch((error: unknown) => worker.isConnected() && worker.send({ va: 'metrics', id: m.id, text: `# metrics unavailable: ${(error as Error).message}\n` } satisfies ToWorker));
          } else if (m.va === 'event') broadcast({ va: 'event', event: m.event }, worker);
          else if (m.va === 'subscribers') {
            feedCounts.set(worker.id, m.count);
            const active = [...feedCounts.values()].some((count) => count > 0);
            if (active !== feedActive) {
              feedActive = active;
              broadcast({ va: 'feed', active });
            }
          }
        });
      }),
    );
  }
  const all = await Promise.all(urls).catch((error: unknown) => {
    // One worker could not start: the others go too, before the CLI says why and exits (a worker left talking
    // to a primary that has gone dies of EPIPE with a stack trace).
    for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    throw error;
  });
  const exited = workers.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
  for (const worker of workers) {
    worker.on('exit', (code, signal) => {
      feedCounts.delete(worker.id);
      if (code !== 0) options.log.error('worker exited', { worker: worker.id, code: code ?? undefined, signal: signal ?? undefined });
    });
  }
  return {
    url: all[0]!,
    workers: workers.length,
    async drain() {
      // Asked over IPC, not by signal: a Ctrl-C reaches every process of the terminal's group, and a worker
      // would take a SIGTERM from here as the second signal that ends its calls at once.
      for (const worker of workers) {
        if (worker.isDead()) continue;
        if (worker.isConnected()) worker.send({ va: 'drain' } satisfies ToWorker);
        else worker.process.kill('SIGTERM');
      }
      await Promise.all(exited);
    },
    kill() {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    },
  };
}

/**
 * A worker: runs the server with its metrics answered by the primary's sum and its feed joined to every other
 * worker's. Tells the primary once it listens.
 */
export async function runClusterWorker(options: ServeOptions): Promise<RunningServer> {
  const send = (message: ToPrimary) => process.connected && process.send?.(message);
  const local = createEventFeed();
  let feedActive = false;
  let nextId = 0;
  const pending = new Map<number, (text: string) => void>();
  const feed: EventFeed = {
    publish(event) {
      local.publish(event);
      if (feedActive || event.type === 'call.started' || event.type === 'call.ended') send({ va: 'event', event });
    },
    subscribe(socket, filter) {
      local.subscribe(socket, filter);
      send({ va: 'subscribers', count: local.subscribers });
      socket.on('close', () => send({ va: 'subscribers', count: local.subscribers }));
    },
    liveCalls: () => local.liveCalls(),
    get subscribers() {
      return local.subscribers;
    },
    close: () => local.close(),
  };
  process.on('message', (message: unknown) => {
    if (!isMessage(message)) return;
    const m = message as ToWorker;
    if (m.va === 'metrics') {
      pending.get(m.id)?.(m.text);
      pending.delete(m.id);
    } else if (m.va === 'event') local.publish(m.event);
    else if (m.va === 'feed') feedActive = m.active;
  });
  // prom-client's AggregatorRegistry reads the workers' global registry: the metrics must live there. A worker
  // answers the primary's aggregation requests only once an AggregatorRegistry exists in it (prom-client 15).
  const { register } = await import('prom-client');
  new AggregatorRegistry();
  const metrics = createServerMetrics({ registry: register });
  const server = await startServer({
    ...options,
    metrics,
    feed,
    metricsText: () =>
      new Promise((resolve) => {
        const id = ++nextId;
        pending.set(id, resolve);
        send({ va: 'metrics?', id });
        setTimeout(() => {
          if (pending.delete(id)) resolve('# metrics: the primary did not answer in time\n');
        }, 5000).unref();
      }),
  });
  send({ va: 'ready', url: server.url });
  return server;
}
