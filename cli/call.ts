import { createInterface } from 'node:readline';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatDiagnostic, loadAgent, loadScenario, prepareAgent, startLiveCall, writeWav, type AgentSpec, type LiveCall, type LiveCallResult, type Scenario } from '../runtime/index.js';
import { CliError, EXIT, screenUnavailable, writeOutputFile, type CliIO } from './io.js';
import type { CallControls } from './tui/call-controls.js';
import { runLine } from './tui/call-controls.js';
import { regionStatesOf } from './tui/chart-states.js';
import { CALL_KEYS } from './tui/keys.js';
import { createCallPlayer } from './tui/player.js';
import { createPlainFormatter } from './tui/plain-lines.js';
import { createViewFeed } from './tui/view-source.js';

interface CallOptions {
  readonly scenario?: string;
  readonly record?: string;
  readonly play?: boolean;
  readonly offline?: boolean;
  readonly plain?: boolean;
}

/** The process's streams where the command needs more than {@link CliIO}: a keyboard, a terminal. */
interface Terminal {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly interactive: boolean;
}

/** `voiceagent call <agent.yaml>`: one live call in a terminal, the user as the caller. */
export function registerCall(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('call')
    .description('Talk to an agent in a live call in the terminal: type what the caller says and watch the call (states, conversation, latency, barge-ins, levels).')
    .argument('<agent>', 'the agent file (YAML)')
    .option('--scenario <file>', 'let this scenario\'s caller drive the call while you watch (you can still type)')
    .option('--record <dir>', 'write the call record JSON and a stereo WAV (left: caller line as the agent heard it, right: agent as the caller heard it) to this folder')
    .option('--play', 'play both sides on the sound device through aplay or sox `play` when installed (silently off otherwise)')
    .option('--offline', 'use the offline providers even when the agent\'s keys are set')
    .option('--plain', 'one line per event, no screen (automatic when stdout or stdin is not a terminal); stdin lines are caller lines')
    .addHelpText(
      'after',
      `
The call runs in this process on the real clock. Without the agent's API keys (or with --offline) it runs on the
offline providers: scripted replies from the agent's \`offline:\` section, a recogniser told the words you type,
eSpeak NG voices. Typed lines are spoken into the call with a synthesised caller voice, so VAD, endpointing and
barge-in hear them as speech: typing while the agent talks interrupts it.

Keys (the screen):
${CALL_KEYS.map(([key, command, what]) => `  ${key.padEnd(11)}${command.padEnd(12)}${what}`).join('\n')}

--plain reads caller lines from stdin, one per line, with the same /commands; EOF or /quit hangs up.
When the call ends, its record is written to --record <dir>, else to .voiceagent/calls/<date>/<call id>.json,
and the path is printed.

Exit codes: 0 the call ran (however it ended), 2 usage or I/O error (an invalid agent or scenario).

Examples:
  voiceagent call agents/receptionist.yaml
  voiceagent call agents/receptionist.yaml --record recordings --play
  voiceagent call agents/receptionist.yaml --scenario scenarios/receptionist/interrupt-to-book.yaml
  printf 'What are your opening hours?\\n' | voiceagent call agents/receptionist.yaml --plain`,
    )
    .action(async (agentPath: string, options: CallOptions) => {
      const file = resolve(io.cwd, agentPath);
      const spec = loadSpec(file, io);
      const scenario = options.scenario ? loadScenarioFor(resolve(io.cwd, options.scenario), file, io) : undefined;
      const noScreen = screenUnavailable(io);
      const terminal: Terminal = { stdin: process.stdin, stdout: process.stdout, interactive: noScreen === undefined };
      const plain = options.plain === true || !terminal.interactive;
      if (options.plain !== true && noScreen !== undefined && noScreen !== 'not a terminal') io.stderr.write(`voiceagent call: plain lines, no screen: ${noScreen}\n`);
      const recordTo = (result: LiveCallResult) => writeRecord(result, spec, options.record ? resolve(io.cwd, options.record) : undefined, io.cwd);
      if (plain) await runPlain(spec, file, options, scenario, io, recordTo);
      else await runScreen(spec, file, options, scenario, io, terminal, recordTo);
      setExitCode(EXIT.ok);
    });
}

function loadSpec(file: string, io: CliIO): AgentSpec {
  const loaded = loadAgent({ file });
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) io.stderr.write(formatDiagnostic({ ...d, file: relative(io.cwd, file) || file }) + '\n');
    throw new CliError(`the agent ${relative(io.cwd, file) || file} is invalid; fix it (see \`voiceagent validate\`) and call again`);
  }
  return loaded.spec;
}

function loadScenarioFor(file: string, agentFile: string, io: CliIO): Scenario {
  const loaded = loadScenario({ file, agentOverride: agentFile });
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) io.stderr.write(formatDiagnostic({ ...d, file: relative(io.cwd, file) || file }) + '\n');
    throw new CliError(`the scenario ${relative(io.cwd, file) || file} is invalid`);
  }
  return loaded.scenario;
}

/** Starts the call with the player when asked for; `feed` gets every event and note. */
async function start(spec: AgentSpec, file: string, options: CallOptions, scenario: Scenario | undefined, io: CliIO, onEvent: Parameters<typeof startLiveCall>[0]['onEvent'], onNote: (message: string) => void): Promise<{ call: LiveCall; stopPlayer(): void }> {
  const player = options.play ? createCallPlayer(16_000, io.env) : undefined;
  try {
    const call = await startLiveCall({ spec, agentFile: file, offline: options.offline === true, env: io.env, ...(scenario ? { scenario } : {}), onEvent, onNote, ...(player ? { onAudio: (c, a) => player.write(c, a) } : {}) });
    return { call, stopPlayer: () => player?.close() };
  } catch (error) {
    player?.close();
    throw new CliError(`the call could not start: ${(error as Error).message}`);
  }
}

function controlsOf(call: LiveCall, quit: () => void): CallControls {
  return {
    say: (text) => call.say(text),
    backchannel: () => call.backchannel(),
    sound: () => call.sound('cough'),
    switchLanguage: (to) => call.switchLanguage(to),
    hangup: () => call.hangup(),
    quit,
  };
}

async function runPlain(spec: AgentSpec, file: string, options: CallOptions, scenario: Scenario | undefined, io: CliIO, recordTo: (r: LiveCallResult) => string): Promise<void> {
  const feed = createViewFeed();
  const formatter = createPlainFormatter();
  const out = (line: string) => io.stdout.write(line + '\n');
  const { call, stopPlayer } = await start(spec, file, options, scenario, io, (event) => {
    feed.push(event);
    for (const line of formatter.format(event, feed.getView())) out(line);
  }, (message) => out(`note: ${message}`));
  out(`note: ${call.offline ? 'offline providers' : 'real providers'}; type caller lines, /help for commands, EOF or /quit hangs up`);
  const controls = controlsOf(call, () => call.hangup());
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const note = runLine(line, controls, () => out(`keys: ${CALL_KEYS.map(([, command, what]) => `${command || 'a line'}: ${what}`).join('; ')}`));
    if (note) out(`note: ${note}`);
  });
  input.on('close', () => call.hangup());
  const stopSignals = io.onSignal?.(() => call.hangup());
  const result = await call.done;
  stopSignals?.();
  input.close();
  stopPlayer();
  out(`record: ${recordTo(result)}`);
}

async function runScreen(spec: AgentSpec, file: string, options: CallOptions, scenario: Scenario | undefined, io: CliIO, terminal: Terminal, recordTo: (r: LiveCallResult) => string): Promise<void> {
  const feed = createViewFeed();
  let quitRequested: () => void = () => {};
  const quitting = new Promise<void>((resolve) => (quitRequested = resolve));
  let live: LiveCall | undefined;
  const controls: CallControls = {
    // `say` and `sound` return undefined when they succeed: only a missing call is "starting".
    say: (text) => (live ? live.say(text) : 'the call is starting'),
    backchannel: () => (live ? live.backchannel() : { refused: 'the call is starting' }),
    sound: () => (live ? live.sound('cough') : 'the call is starting'),
    switchLanguage: (to) => live?.switchLanguage(to) ?? spec.languages.default,
    hangup: () => live?.hangup(),
    quit: () => quitRequested(),
  };
  // React in production mode (development checks cost several times the CPU), loaded only for the screen.
  process.env.NODE_ENV ??= 'production';
  const { renderCallScreen } = await import('./tui/render-call-screen.js');
  const screen = renderCallScreen(
    { source: feed, controls, title: 'voiceagent call', tags: () => (live ? [live.offline ? 'offline' : 'real providers'] : []), states: regionStatesOf(prepareAgent(spec).compiled.machine), callerLanguage: () => live?.language ?? spec.languages.default },
    { stdout: terminal.stdout, stdin: terminal.stdin },
  );
  const stopSignals = io.onSignal?.(() => quitRequested());
  let where: string | undefined;
  try {
    const { call, stopPlayer } = await start(spec, file, options, scenario, io, (event) => feed.push(event), (message) => feed.note(message));
    live = call;
    if (!call.offline) feed.note('real providers: typed lines are heard by the real recogniser');
    const recorded = call.done.then((result) => {
      stopPlayer();
      where = recordTo(result);
      feed.note(`call over; record written to ${where}; q quits`);
    });
    await quitting;
    call.hangup();
    await recorded;
  } finally {
    stopSignals?.();
    await screen.close();
  }
  io.stdout.write(`record: ${where}\n`);
}

/** Writes the record (and with `--record`, the WAV); returns where the record went. */
function writeRecord(result: LiveCallResult, spec: AgentSpec, dir: string | undefined, cwd: string): string {
  const { record } = result;
  const base = dir ? join(dir, `${spec.name}-${record.callId.slice(0, 8)}`) : join(cwd, '.voiceagent', 'calls', record.startedAt.slice(0, 10), record.callId);
  writeOutputFile(`${base}.json`, JSON.stringify(record, null, 2) + '\n');
  if (dir) writeOutputFile(`${base}.wav`, writeWav({ sampleRate: result.audio.sampleRate, channels: [result.audio.caller, result.audio.agent] }));
  return relative(cwd, `${base}.json`) || `${base}.json`;
}
