import type { Command } from 'commander';
import { connectEventFeed, DeployTargetError, EventFeedError, resolveDeployTarget, type EventFeedClient, type FeedConnectionState, type FeedMessage } from '../runtime/index.js';
import { CliError, EXIT, screenUnavailable, type CliIO } from './io.js';
import { MONITOR_KEYS } from './tui/keys.js';
import { createMonitorModel, type MonitorModel } from './tui/monitor-model.js';
import { createPlainFormatter, type PlainFormatter } from './tui/plain-lines.js';

interface MonitorOptions {
  readonly url?: string;
  readonly agent?: string;
  readonly call?: string;
  readonly plain?: boolean;
}

/** Where `monitor` connects when nothing says otherwise: `voiceagent serve` on this machine. */
const DEFAULT_URL = 'http://127.0.0.1:8080';

/** `voiceagent monitor`: watch the calls of a running server live. */
export function registerMonitor(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('monitor')
    .description('Watch the live calls of a running server: the list of calls, and the followed call\'s states, conversation, latency, barge-ins and levels.')
    .option('--url <url>', `the server (default: VOICEAGENT_URL, else the default environment of voiceagent.yaml, else ${DEFAULT_URL})`)
    .option('--agent <name>', 'only this agent\'s calls')
    .option('--call <id>', 'follow this call (with --plain: exit once it ends)')
    .option('--plain', 'one line per event, no screen (automatic when stdout is not a terminal); lines are prefixed with the call id unless --call is given')
    .addHelpText(
      'after',
      `
Attaches to the server's live event feed (WS /v1/events) and shows each call as \`voiceagent call\` does. The
token is VOICEAGENT_TOKEN (sent as Authorization: Bearer); a server on loopback without VOICEAGENT_TOKEN needs
none. The monitor only watches: quitting it does not touch the calls. When the server goes away, the monitor
says so and reconnects with backoff (250 ms doubling up to 5 s).

Keys (the screen):
${MONITOR_KEYS.map(([key, , what]) => `  ${key.padEnd(11)}${what}`).join('\n')}

--plain prints one line per event of every call shown (each line prefixed with the first 8 characters of its
call id, unless --call is given), and the list of live calls when it connects.

Exit codes: 0 the monitor ran and was quit (or with --plain --call, the call ended), 2 usage error, the server
cannot be reached, or it refused the token.

Examples:
  voiceagent serve --offline agents/receptionist.yaml &     # a server on http://127.0.0.1:8080
  voiceagent monitor
  voiceagent monitor --agent receptionist
  VOICEAGENT_TOKEN=secret voiceagent monitor --url https://voice.example.com
  voiceagent monitor --plain | tee calls.log
  voiceagent monitor --plain --call 3f2c9a1e-…              # one call's events, exits when it ends`,
    )
    .action(async (options: MonitorOptions) => {
      const target = targetOf(options, io);
      const model = createMonitorModel(options.call ? { followCallId: options.call } : {});
      const noScreen = screenUnavailable(io);
      if (options.plain !== true && noScreen !== undefined && noScreen !== 'not a terminal') io.stderr.write(`voiceagent monitor: plain lines, no screen: ${noScreen}\n`);
      if (options.plain === true || noScreen !== undefined) await runPlain(target, options, model, io);
      else await runScreen(target, options, model, io);
      setExitCode(EXIT.ok);
    });
}

/** The server and token: `--url`, `VOICEAGENT_URL`, the project's default environment, else this machine. */
function targetOf(options: MonitorOptions, io: CliIO): { url: string; token?: string } {
  const token = io.env.VOICEAGENT_TOKEN || undefined;
  try {
    const target = resolveDeployTarget({ cwd: io.cwd, env: io.env, ...(options.url !== undefined ? { url: options.url } : {}) });
    return { url: target.url, ...(target.token ? { token: target.token } : {}) };
  } catch (error) {
    if (!(error instanceof DeployTargetError)) throw error;
    // A URL given but malformed, or a project environment that cannot be used, is the user's to fix; no target at all means the local server.
    if (options.url !== undefined || io.env.VOICEAGENT_URL) throw new CliError(error.message);
    if (!error.message.startsWith('which server?')) throw new CliError(error.message);
    return { url: DEFAULT_URL, ...(token ? { token } : {}) };
  }
}

/** Connects, turning a failed first connection into the message the user needs. */
async function connect(target: { url: string; token?: string }, options: MonitorOptions, onMessage: (message: FeedMessage) => void, onConnection: (state: FeedConnectionState) => void): Promise<EventFeedClient> {
  try {
    return await connectEventFeed({ url: target.url, ...(target.token ? { token: target.token } : {}), ...(options.agent ? { agent: options.agent } : {}), ...(options.call ? { callId: options.call } : {}) }, { onMessage, onConnection });
  } catch (error) {
    if (!(error instanceof EventFeedError)) throw error;
    if (error.kind === 'unreachable') throw new CliError(`${error.message}: is the server running? Start one with \`voiceagent serve --offline agents/<agent>.yaml\` (it listens on ${DEFAULT_URL}), or give its address with --url or VOICEAGENT_URL`);
    if (error.kind === 'unauthorized') throw new CliError(target.token ? `the server at ${target.url} refused the token (401): VOICEAGENT_TOKEN must be the server's token` : `the server at ${target.url} needs a token (401): set VOICEAGENT_TOKEN to the server's token`);
    throw new CliError(error.message);
  }
}

/** What a connection change says, for the screen's notes and `--plain`. */
function connectionNote(state: FeedConnectionState, url: string): string {
  return state.state === 'open' ? `reconnected to ${url}` : `lost the server at ${url} (${state.reason}); reconnecting in ${(state.retryInMs / 1000).toFixed(2)} s (attempt ${state.attempt})`;
}

async function runPlain(target: { url: string; token?: string }, options: MonitorOptions, model: MonitorModel, io: CliIO): Promise<void> {
  const out = (line: string) => io.stdout.write(line + '\n');
  const formatters = new Map<string, PlainFormatter>();
  const prefixed = options.call === undefined;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  const onMessage = (message: FeedMessage) => {
    const call = model.apply(message);
    if (message.type === 'calls') {
      out(`note: ${message.calls.length} live call${message.calls.length === 1 ? '' : 's'}${message.calls.length ? ':' : ''}`);
      for (const c of message.calls) out(`note:   ${c.callId} agent ${c.agent}${c.version ? ` version ${c.version}` : ''} since ${c.startedAt}`);
      return;
    }
    if (message.type === 'dropped') return out(`note: the server dropped ${message.count} events (this monitor was too slow to keep up)`);
    if (!call) return;
    let formatter = formatters.get(call.callId);
    if (!formatter) formatters.set(call.callId, (formatter = createPlainFormatter()));
    const prefix = prefixed ? `${call.callId.slice(0, 8)} ` : '';
    for (const line of formatter.format(message.event, call.feed.getView())) out(prefix + line);
    if (message.event.type === 'call.ended') {
      formatters.delete(call.callId);
      if (options.call === call.callId) done();
    }
  };
  const client = await connect(target, options, onMessage, (state) => out(`note: ${connectionNote(state, target.url)}`));
  out(`note: watching ${client.url}${options.call ? ` for call ${options.call}` : ''}; Ctrl-C stops`);
  const stopSignals = io.onSignal?.(() => done());
  await finished;
  stopSignals?.();
  client.close();
}

async function runScreen(target: { url: string; token?: string }, options: MonitorOptions, model: MonitorModel, io: CliIO): Promise<void> {
  let connected = true;
  const client = await connect(target, options, (message) => model.apply(message), (state) => {
    connected = state.state === 'open';
    model.note(connectionNote(state, target.url));
  });
  model.note(`watching ${target.url}${options.agent ? ` (agent ${options.agent})` : ''}; ? for keys`);
  let quit: () => void = () => {};
  const quitting = new Promise<void>((resolve) => (quit = resolve));
  // React in production mode (development checks cost several times the CPU), loaded only for the screen.
  process.env.NODE_ENV ??= 'production';
  const { renderMonitorScreen } = await import('./tui/monitor-app.js');
  const tags = () => {
    return [target.url.replace(/^https?:\/\//, '') + (connected ? '' : ' (DISCONNECTED, reconnecting…)'), ...(options.agent ? [`agent ${options.agent}`] : [])];
  };
  const screen = renderMonitorScreen({ model, tags, onQuit: () => quit() }, { stdout: process.stdout, stdin: process.stdin });
  const stopSignals = io.onSignal?.(() => quit());
  try {
    await quitting;
  } finally {
    stopSignals?.();
    client.close();
    await screen.close();
  }
}
