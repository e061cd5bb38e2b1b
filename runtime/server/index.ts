import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadFileAgents } from './registry-setup.js';
import { newServerId } from './admission-redis.js';
import { startClusterPrimary } from './cluster.js';
import type { Logger } from './logger.js';
import { checkStartRules, startServer, type ServeOptions } from './serve.js';

export { AgentCatalogError } from './agent-catalog.js';
export { createLogger, silentLogger, type Logger } from './logger.js';
export { isLoopbackHost, ServeError, startServer, type RunningServer, type ServeOptions } from './serve.js';
export { parseAgentCaps } from './admission.js';
export type { FleetSettings } from './fleet.js';

/** Options of {@link serve}: the server's, plus how many worker processes. */
export interface ServeCommandOptions extends Omit<ServeOptions, 'metrics' | 'metricsText' | 'feed'> {
  /** Worker processes behind the one port (default: the cores available). 1 runs in this process. */
  readonly workers?: number;
}

/** The URLs of one served agent's endpoints. */
export interface AgentEndpoints {
  readonly agent: string;
  readonly file: string;
  /** Twilio Media Streams WebSocket. */
  readonly twilio: string;
  /** The TwiML webhook to set on the Twilio number ("A call comes in"). */
  readonly twiml: string;
  /** The native PCM WebSocket for apps and browsers. */
  readonly websocket: string;
}

/** A running `voiceagent serve`. */
export interface ServeHandle {
  readonly url: string;
  readonly workers: number;
  readonly agents: readonly AgentEndpoints[];
  /** Stops taking calls, lets running ones finish (up to the drain timeout), then exits. */
  drain(): Promise<void>;
  /** Ends at once (a second signal). */
  kill(): void;
}

/**
 * `voiceagent serve`: validates and compiles every agent (refusing to start on any error, file:line:col), then
 * listens, in this process (`workers: 1`) or in N worker processes behind one port.
 */
export async function serve(options: ServeCommandOptions): Promise<ServeHandle> {
  const workers = Math.max(1, Math.floor(options.workers ?? availableParallelism()));
  if (workers === 1) {
    const server = await startServer(options);
    return {
      url: server.url,
      workers: 1,
      agents: endpointsOf([...server.agents.values()], server.url, options.publicUrl),
      drain: () => server.drain(),
      kill: () => void server.close(),
    };
  }
  // Checked here first so a broken agent, a missing key or a missing token is reported once, by the primary,
  // before any worker starts (a worker's refusal would otherwise reach the CLI as "worker exited").
  // With a registry the workers may start with no files (they serve what is deployed); they check that themselves.
  const catalog = loadFileAgents(options);
  checkStartRules(options, catalog);
  const agents = [...catalog.values()];
  const here = fileURLToPath(import.meta.url);
  const exec = here.replace(/index\.(ts|js)$/, 'worker-main.$1');
  const { env: _env, log, ...portable } = options;
  // The workers are one server of the fleet: one id, so `--max-calls` counts across them in Redis.
  const fleet = options.fleet?.redisUrl ? { fleet: { ...options.fleet, serverId: options.fleet.serverId ?? newServerId() } } : {};
  process.env.VOICEAGENT_SERVE_OPTIONS = JSON.stringify({ ...portable, ...fleet });
  const handle = await startClusterPrimary({ workers, log, workerArgs: [], exec });
  return { url: handle.url, workers, agents: endpointsOf(agents, handle.url, options.publicUrl), drain: () => handle.drain(), kill: () => handle.kill() };
}

function endpointsOf(agents: readonly { name: string; file: string }[], url: string, publicUrl: string | undefined): AgentEndpoints[] {
  const base = (publicUrl ?? url).replace(/\/+$/, '');
  const ws = base.replace(/^http/, 'ws');
  return agents.map(({ name, file }) => ({
    agent: name,
    file,
    twilio: `${ws}/twilio/${encodeURIComponent(name)}`,
    twiml: `${base}/twilio/${encodeURIComponent(name)}/twiml`,
    websocket: `${ws}/calls/${encodeURIComponent(name)}`,
  }));
}
