import { resolve } from 'node:path';
import type { Command } from 'commander';
import { AgentCatalogError, createLogger, serve, ServeError, type ServeHandle } from '../runtime/index.js';
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
    .option('--data <dir>', 'where call records go (<dir>/calls/)', '.voiceagent')
    .option('--offline', 'run every agent on the offline providers (no keys, no network)')
    .option('--record', "also write each call's stereo WAV beside its record (streamed to disk)")
    .option('--drain-timeout-ms <ms>', 'on SIGTERM/SIGINT, how long running calls may go on before they are ended', '600000')
    .option('--json', 'print the listening line as one JSON object with every endpoint')
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

Security: with TWILIO_AUTH_TOKEN set, X-Twilio-Signature is checked on the webhook and the stream. Off
loopback the server refuses to start without TWILIO_AUTH_TOKEN and VOICEAGENT_TOKEN (a bearer token for
/calls and /v1/events: Authorization: Bearer …, or ?token= from a browser).

Shutdown: SIGTERM or SIGINT drains (healthz 503, no new calls; running calls go on for up to
--drain-timeout-ms, then end with their records written); a second signal ends at once. On Kubernetes set
terminationGracePeriodSeconds a little above the drain timeout.

Exit codes: 0 drained and stopped, 2 could not start (an agent file is broken, keys missing, port in use).

Examples:
  voiceagent serve --offline                        the project's agents, no keys
  voiceagent serve agents/receptionist.yaml --port 0 --json
  voiceagent serve --host 0.0.0.0 --public-url https://voice.example.com --workers 4`,
    )
    .action(async (paths: string[], options: ServeCliOptions) => {
      const port = wholeNumber('--port', options.port, 0, 65535);
      const drainTimeoutMs = wholeNumber('--drain-timeout-ms', options.drainTimeoutMs, 0, 24 * 3600_000);
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

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} takes a whole number from ${min} to ${max}, got ${value}`);
  return n;
}
