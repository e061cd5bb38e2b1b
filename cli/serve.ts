import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AgentCatalogError, createLogger, parseAgentCaps, serve, ServeError, type FleetSettings, type ServeHandle } from '../runtime/index.js';
import { CliError, EXIT, type CliIO } from './io.js';

interface ServeCliOptions {
  readonly host: string;
  readonly port: string;
  readonly workers?: string;
  readonly publicUrl?: string;
  readonly data: string;
  readonly offline?: boolean;
  readonly record?: boolean;
  readonly drainTimeoutMs: string;
  readonly json?: boolean;
  readonly maxCalls?: string;
  readonly agentCap: string[];
  readonly fleetMaxCalls?: string;
  readonly advertiseUrl?: string;
  readonly slotTtlMs?: string;
  readonly retainDays?: string;
  readonly retainCalls?: string;
  /** `--registry`, when given (registry.md): a redis:// URL makes the caps fleet-wide. */
  readonly registry?: string;
  /** `--env`: the registry environment whose active versions are served. */
  readonly env: string;
}

/** `voiceagent serve [agents...]`: take calls over Twilio Media Streams and the native WebSocket. */
export function registerServe(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('Take calls: Twilio Media Streams, a native PCM WebSocket for apps and browsers, Prometheus metrics and a live event feed.')
    .argument('[agents...]', "agent files or folders (default: the project's agents folder, or ./agents)")
    .option('--host <host>', 'address to listen on (off loopback, TWILIO_AUTH_TOKEN and VOICEAGENT_TOKEN are required)', '127.0.0.1')
    .option('--port <port>', 'port to listen on; 0 takes a free one', '8080')
    .option('--workers <n>', 'worker processes behind the one port (default: the cores available; 1 runs in this process)')
    .option('--public-url <url>', 'the https URL callers reach this server at, behind a proxy or tunnel (TwiML stream URLs, signature checks)')
    .option('--data <dir>', 'where call records go (<dir>/calls/) and the file registry of deployed agents (<dir>/registry/)', '.voiceagent')
    .option('--registry <url>', 'share deployed agents through Redis (redis://HOST:PORT) instead of the files under --data (docs/registry.md)')
    .option('--env <name>', 'the environment whose active agent versions are served', 'production')
    .option('--offline', 'run every agent on the offline providers (no keys, no network)')
    .option('--record', "also write each call's stereo WAV beside its record (streamed to disk)")
    .option('--drain-timeout-ms <ms>', 'on SIGTERM/SIGINT, how long running calls may go on before they are ended', '600000')
    .option('--json', 'print the listening line as one JSON object with every endpoint')
    .option('--max-calls <n>', 'calls this server runs at once; more get 503 (docs/fleet.md)')
    .option('--agent-cap <name=n>', 'calls of one agent at once, fleet-wide with a redis registry; repeatable', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--fleet-max-calls <n>', 'calls at once across every server sharing the redis registry')
    .option('--advertise-url <url>', "the URL other servers of the fleet reach this one at, to fetch its call records (default: the listening URL)")
    .option('--slot-ttl-ms <ms>', "how long a crashed server's call slots keep counting in redis; heartbeats every fifth of it", '5000')
    .option('--retain-days <n>', 'delete call records older than N days (at start and hourly)')
    .option('--retain-calls <n>', "keep only this server's newest N call records (at start and hourly)")
    .addHelpText(
      'after',
      `
Endpoints (AGENT is an agent's name):
  GET|POST /twilio/AGENT/twiml   TwiML for the Twilio number's "A call comes in" webhook
  WS       /twilio/AGENT         Twilio Media Streams (bidirectional; mu-law 8 kHz)
  WS       /calls/AGENT          native PCM16 WebSocket (?rate=8000|16000|24000|48000; docs/websocket-protocol.md)
  WS       /v1/events            live call events as JSON (?agent=, ?call=)
  GET      /metrics              Prometheus metrics (summed over workers)
  GET      /healthz              200, or 503 while draining
  GET      /  /play/AGENT        the browser playground: call an agent from a browser (docs/playground.md)

Security: with TWILIO_AUTH_TOKEN set, X-Twilio-Signature is checked on the webhook and the stream. Off
loopback the server refuses to start without TWILIO_AUTH_TOKEN and VOICEAGENT_TOKEN (a bearer token for
/calls and /v1/events: Authorization: Bearer …, or ?token= from a browser).

Shutdown: SIGTERM or SIGINT drains (healthz 503, no new calls; running calls go on for up to
--drain-timeout-ms, then end with their records written); a second signal ends at once. On Kubernetes set
terminationGracePeriodSeconds a little above the drain timeout.

Caps (docs/fleet.md): over --max-calls, an --agent-cap or --fleet-max-calls a new call is refused with 503
(webhook and upgrades) so the caller's side can fail over; a call's slot is released once its record is
written. With --registry redis://…, agent and fleet caps hold across every server sharing it (give every
server the same caps), a crashed server's slots free after --slot-ttl-ms, and /v1/calls lists and fetches
every server's records (each server keeps its own under --data; --advertise-url says where to reach it).

Exit codes: 0 drained and stopped, 2 could not start (an agent file is broken, keys missing, port in use).

Examples:
  voiceagent serve --offline                        the project's agents, no keys
  voiceagent serve agents/receptionist.yaml --port 0 --json
  voiceagent serve --host 0.0.0.0 --public-url https://voice.example.com --workers 4
  voiceagent serve --data /var/lib/voiceagent      serves what \`voiceagent deploy\` activated (may start empty)
  voiceagent serve --registry redis://10.0.0.5:6379 --env staging
  voiceagent serve --registry redis://10.0.0.5:6379 --max-calls 200 --agent-cap receptionist=50 --retain-days 30

Deployed agents (docs/registry.md): beside the agent files given, the server serves every agent with an active
version in --env, from the file registry under --data or from --registry; a deployed agent wins over a file of
the same name. New calls get the active version within a second of an activation; a running call keeps its
version; ?version=ID on /calls/AGENT or the TwiML webhook pins one. The admin API is under /v1 (bearer token
VOICEAGENT_TOKEN): /v1/agents, /v1/agents/AGENT/versions, .../activate, .../rollback, /v1/calls.`,
    )
    .action(async (paths: string[], options: ServeCliOptions, command: Command) => {
      const port = wholeNumber('--port', options.port, 0, 65535);
      const drainTimeoutMs = wholeNumber('--drain-timeout-ms', options.drainTimeoutMs, 0, 24 * 3600_000);
      const fleet = fleetSettings(options);
      const workers = options.workers === undefined ? undefined : wholeNumber('--workers', options.workers, 1, 256);
      if (options.publicUrl && !/^https?:\/\//.test(options.publicUrl)) throw new CliError(`--public-url must be an http(s) URL, got ${options.publicUrl}`);
      let handle: ServeHandle;
      try {
        handle = await serve({
          paths,
          cwd: io.cwd,
          host: options.host,
          port,
          ...(workers !== undefined ? { workers } : {}),
          ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
          dataDir: resolve(io.cwd, options.data),
          offline: options.offline === true,
          recordWav: options.record === true,
          drainTimeoutMs,
          fleet,
          ...(options.registry ? { registry: options.registry } : {}),
          environment: options.env,
          // With --data or --registry given, a server with no agent files starts and serves what gets deployed.
          allowNoAgents: options.registry !== undefined || command.getOptionValueSource('data') === 'cli',
          env: io.env,
          log: createLogger((line) => io.stderr.write(line)),
        });
      } catch (error) {
        if (error instanceof AgentCatalogError || error instanceof ServeError) throw new CliError(error.message);
        throw error;
      }
      if (options.json) io.stdout.write(JSON.stringify({ url: handle.url, workers: handle.workers, agents: handle.agents }) + '\n');
      else {
        io.stdout.write(`listening on ${handle.url}\n`);
        for (const a of handle.agents) io.stdout.write(`  ${a.agent}: twilio ${a.twilio}  websocket ${a.websocket}  twiml ${a.twiml}\n`);
        io.stdout.write(`playground ${handle.url}/  (open it in a browser to call an agent)\n`);
      }
      await new Promise<void>((done) => {
        let signals = 0;
        const stop = io.onSignal?.((signal) => {
          signals++;
          if (signals === 1) {
            io.stderr.write(`voiceagent: ${signal}: draining (a second signal ends at once)\n`);
            void handle.drain().then(() => {
              stop?.();
              done();
            });
          } else {
            handle.kill();
            setExitCode(EXIT.failed);
            stop?.();
            done();
          }
        });
        if (!stop) done();
      });
    });
}

/** The fleet flags (admission caps, retention, the fleet's redis) as serve's settings; usage errors for bad values. */
function fleetSettings(options: ServeCliOptions): FleetSettings {
  const optional = (flag: string, value: string | undefined, min: number, max: number) => (value === undefined ? undefined : wholeNumber(flag, value, min, max));
  let agentCaps: Record<string, number>;
  try {
    agentCaps = parseAgentCaps(options.agentCap);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (options.advertiseUrl && !/^https?:\/\//.test(options.advertiseUrl)) throw new CliError(`--advertise-url must be an http(s) URL, got ${options.advertiseUrl}`);
  const settings: Record<string, unknown> = {
    maxCalls: optional('--max-calls', options.maxCalls, 1, 1_000_000),
    agentCaps: Object.keys(agentCaps).length > 0 ? agentCaps : undefined,
    fleetMaxCalls: optional('--fleet-max-calls', options.fleetMaxCalls, 1, 10_000_000),
    redisUrl: options.registry && /^rediss?:\/\//.test(options.registry) ? options.registry : undefined,
    advertiseUrl: options.advertiseUrl,
    slotTtlMs: optional('--slot-ttl-ms', options.slotTtlMs, 250, 3_600_000),
    retainDays: optional('--retain-days', options.retainDays, 1, 100_000),
    retainCalls: optional('--retain-calls', options.retainCalls, 1, 100_000_000),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as FleetSettings;
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} takes a whole number from ${min} to ${max}, got ${value}`);
  return n;
}
