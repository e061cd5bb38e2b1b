import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { formatDiagnostic } from '../dsl/diagnostics.js';
import { dottedPath, parseYamlSource } from '../dsl/yaml-source.js';
import { keysNeeded, resolveKey } from '../providers/provider-keys.js';
import { AgentCatalogError, type ServedAgent } from './agent-catalog.js';
import { CallHost } from './call-host.js';
import { createRecordStore } from './call-records.js';
import { createEventFeed, type EventFeed } from './event-feed.js';
import { createServerFleet, type FleetSettings, type ServerFleet } from './fleet.js';
import { createHttpServer } from './http-server.js';
import type { Logger } from './logger.js';
import { createServerMetrics, type ServerMetrics } from './metrics.js';
import { serverRoutes, type EndpointOptions } from './routes.js';
import type { Registry } from '../registry/types.js';
import { adminRoutes } from './admin-api.js';
import { createAgentDirectory } from './agent-directory.js';
import { checkSomethingToServe, environmentOf, loadFileAgents, openRegistry, RegistrySetupError, type RegistrySettings } from './registry-setup.js';

/** Options of `voiceagent serve` (with the registry's: `registry`, `environment`, `allowNoAgents`). */
export interface ServeOptions extends RegistrySettings {
  /** Agent files or folders; none: the project's agents folder, else `./agents`. */
  readonly paths: readonly string[];
  readonly cwd: string;
  /** Default 127.0.0.1. */
  readonly host: string;
  /** 0 takes a free port. Default 8080. */
  readonly port: number;
  /** The URL callers (Twilio) reach this server at, behind a proxy or tunnel (`https://…`). */
  readonly publicUrl?: string;
  /** Where call records go (`<data>/calls/`). Default `.voiceagent`. */
  readonly dataDir: string;
  /** Every agent on the offline providers (no keys, no network). */
  readonly offline: boolean;
  /** Also write each call's stereo WAV. */
  readonly recordWav: boolean;
  /** How long a drain lets running calls finish before hanging them up, ms. Default 600000 (10 min). */
  readonly drainTimeoutMs: number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly log: Logger;
  /** Metrics of this process; the cluster primary passes aggregated ones in (see cluster.ts). */
  readonly metrics?: ServerMetrics;
  /** How `/metrics` is answered (default: this process's registry; a cluster worker asks the primary). */
  readonly metricsText?: () => Promise<string>;
  /** Where the live feed's events come from and go (default: this process only). */
  readonly feed?: EventFeed;
  /** Admission caps, the fleet's Redis (slots, records index), retention (fleet.ts). Absent: one server, no caps. */
  readonly fleet?: FleetSettings;
}

/** A running server. */
export interface RunningServer {
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** The agents new calls get now: the files, and the active deployed versions (which change on activation). */
  readonly agents: ReadonlyMap<string, ServedAgent>;
  /** The agent registry (`--data` files or `--registry` Redis); absent with `registry: 'none'`. */
  readonly registry?: Registry;
  readonly host: CallHost;
  readonly http: Server;
  /** Admission, the call directory (local or fleet-wide) and retention of this server. */
  readonly fleet: ServerFleet;
  /** Stop taking calls (healthz 503), let running ones finish up to the drain timeout, then end them; close. */
  drain(): Promise<void>;
  /** Ends every call now and closes. */
  close(): Promise<void>;
}

/** Thrown when the server must not start; the message says what is wrong and how to fix it. */
export class ServeError extends Error {
  override readonly name = 'ServeError';
}

/** Loopback hosts: the only ones where calls and the feed need no token and Twilio no signature. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Loads and compiles every agent once, checks the start-up rules (keys unless offline, tokens off loopback),
 * and listens. Throws {@link ServeError} or {@link AgentCatalogError} (file:line:col) instead of starting.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const files = loadFileAgents(options);
  checkStartRules(options, files);
  const { environment, registry } = await registryOf(options);
  const directory = await createAgentDirectory({ files, ...(registry ? { registry } : {}), env: environment, log: options.log }).catch(async (error: unknown) => {
    await registry?.close();
    throw error;
  });
  try {
    checkSomethingToServe(directory.current().size, options);
  } catch (error) {
    directory.close();
    await registry?.close();
    throw error;
  }
  const agents = directory.current();
  const metrics = options.metrics ?? createServerMetrics();
  const feed = options.feed ?? createEventFeed();
  const records = createRecordStore(options.dataDir);
  const fleet = createServerFleet(options.fleet ?? {}, { dataDir: options.dataDir, log: options.log, ...(options.env.VOICEAGENT_TOKEN ? { token: options.env.VOICEAGENT_TOKEN } : {}) });
  const host = new CallHost({ offline: options.offline, env: options.env, records, recordWav: options.recordWav, metrics, log: options.log, onEvent: (event) => feed.publish(event), ...(fleet.onRecordWritten ? { onRecordWritten: fleet.onRecordWritten } : {}) });
  let draining = false;
  const endpoint: EndpointOptions = {
    host,
    feed,
    metrics,
    log: options.log,
    env: options.env,
    offline: options.offline,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    loopback: isLoopbackHost(options.host),
    draining: () => draining,
    ...(fleet.gate ? { admission: fleet.gate } : {}),
    calls: fleet.calls,
    metricsText: options.metricsText ?? (() => metrics.registry.metrics()),
    agents: () => agents,
  };
  const { routes, sockets } = serverRoutes(endpoint);
  routes.push(...adminRoutes(endpoint, { ...(registry ? { registry } : {}), directory, env: environment, calls: fleet.calls }));
  const http = createHttpServer({ routes, sockets, agents: () => agents, resolveAgent: (name, version) => directory.resolve(name, version), log: options.log });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new ServeError(`port ${options.port} on ${options.host} is in use: pick another with --port, or --port 0 for a free one`) : error),
    );
    http.listen(options.port, options.host, () => resolve());
  });
  const address = http.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  fleet.listening(url);
  const closeHttp = () => new Promise<void>((resolve) => http.close(() => resolve()));
  /** Once every call has ended (and released its slot): stop the heartbeat, the feed, the sockets and the registry. */
  const release = async () => {
    await fleet.close();
    feed.close();
    http.closeAllConnections?.();
    await closeHttp();
    directory.close();
    await registry?.close();
  };
  let drained: Promise<void> | undefined;
  return {
    url,
    agents,
    ...(registry ? { registry } : {}),
    host,
    http,
    fleet,
    drain() {
      drained ??= (async () => {
        draining = true;
        options.log.info('draining: no new calls', { activeCalls: host.activeCalls, drainTimeoutMs: options.drainTimeoutMs });
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.drainTimeoutMs)));
        const outcome = await Promise.race([host.whenIdle().then(() => 'idle' as const), timedOut]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          options.log.warn('drain timeout: ending the calls still running', { activeCalls: host.activeCalls });
          host.hangUpAll();
          await host.whenIdle();
        }
        await release();
      })();
      return drained;
    },
    async close() {
      draining = true;
      host.hangUpAll();
      await host.whenIdle();
      await release();
    },
  };
}

/** The environment served and the registry opened, or the refusal to start as a {@link ServeError}. */
async function registryOf(options: ServeOptions): Promise<{ environment: string; registry: Registry | undefined }> {
  try {
    return { environment: environmentOf(options), registry: await openRegistry(options, options.dataDir) };
  } catch (error) {
    if (error instanceof RegistrySetupError) throw new ServeError(error.message);
    throw error;
  }
}

/**
 * The rules checked before listening: tokens off loopback, and every agent's keys unless offline. Throws a
 * {@link ServeError} saying what is missing and how to fix it. `serve --workers N` checks them in the primary
 * too, so a refusal is one clear message before any worker starts.
 */
export function checkStartRules(options: Pick<ServeOptions, 'host' | 'offline' | 'env'>, agents: ReadonlyMap<string, ServedAgent>): void {
  if (!isLoopbackHost(options.host)) {
    const missing = ['TWILIO_AUTH_TOKEN', 'VOICEAGENT_TOKEN'].filter((name) => !options.env[name]);
    if (missing.length > 0) {
      throw new ServeError(
        `refusing to listen on ${options.host} (not loopback) without ${missing.join(' and ')}: anyone who can reach it could place calls on your keys. ` +
          'Set TWILIO_AUTH_TOKEN (your Twilio auth token: webhooks and Media Streams are then signature-checked) and VOICEAGENT_TOKEN (a bearer token for /calls and /v1/events), or listen on 127.0.0.1 behind a proxy.',
      );
    }
  }
  if (options.offline) return;
  const problems: string[] = [];
  for (const served of agents.values()) {
    // Said as `validate --online` says it: once per key field, at its file:line:col.
    const source = parseYamlSource(readFileSync(served.file, 'utf8'), served.file);
    const fields = new Set<string>();
    for (const use of keysNeeded(served.agent.spec)) {
      if (fields.has(use.field)) continue;
      fields.add(use.field);
      try {
        resolveKey(use, options.env, served.file);
      } catch (error) {
        const message = (error as Error).message.replace(`${served.file}: `, '');
        problems.push(formatDiagnostic({ file: served.file, ...source.valueAt(use.at), severity: 'error', code: 'missing-secret', path: dottedPath(use.at), message }));
      }
    }
  }
  if (problems.length > 0) {
    throw new ServeError(`missing keys; the server did not start:\n${problems.join('\n')}\nSet them in the environment, or run with --offline (the offline providers, no keys).`);
  }
}

export { AgentCatalogError };
