/*
 * `voiceagent serve` as a child process, for the end-to-end server tests: the CLI runs from its sources
 * (`node --import tsx`, as test/cli does, so no build is needed) and exits as bin/voiceagent.js does, with the
 * command's own code once its output is flushed (cli-from-sources.ts). `startServe` resolves once the `--json` listening line has been
 * printed and parsed; every child started here is remembered, and `killServes()` (call it in afterEach) kills
 * the ones still running.
 *
 * The child's environment is the test process's minus every provider key and token, so a test gets exactly
 * the keys it passes (a developer's OPENAI_API_KEY must not make "refuses without keys" pass or fail).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CallRecord } from '../../runtime/call/call-record.js';

/** The repository root: the child's working folder. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI from its sources, exiting like bin/voiceagent.js (see cli-from-sources.ts). */
const FROM_SOURCES = ['--import', 'tsx', fileURLToPath(new URL('./cli-from-sources.ts', import.meta.url))];

/** Environment variables never passed on from the test process (keys and tokens the tests set themselves). */
const SECRET = /(_API_KEY|_TOKEN|_SECRET)$|^(OPENAI|ELEVENLABS|TWILIO|VOICEAGENT|ANTHROPIC|DEEPGRAM)_/;

/** The `--json` listening line. */
export interface ListeningLine {
  readonly url: string;
  readonly workers: number;
  readonly agents: ReadonlyArray<{ readonly agent: string; readonly file: string; readonly twilio: string; readonly twiml: string; readonly websocket: string }>;
}

/** How a child ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `voiceagent serve`. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly listening: ListeningLine;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** `ws://127.0.0.1:PORT`. */
  readonly ws: string;
  /** Everything printed on stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** The structured log lines (JSON objects on stderr) so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Sends a signal (SIGTERM, SIGINT) to the process, as a process manager does. */
  signal(signal: NodeJS.Signals): void;
  /** Sends a signal to its whole process group (workers too), as a Ctrl-C in a terminal does. */
  signalGroup(signal: NodeJS.Signals): void;
}

const children = new Set<ChildProcess>();

/** Sends `signal` to the child's whole process group (its workers too); quiet when it has gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Gone already.
  }
}

/** Kills every child still running, workers and all (SIGKILL to its process group), and waits for it to go. */
export async function killServes(): Promise<void> {
  const running = [...children];
  children.clear();
  await Promise.all(
    running.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            signalGroup(child, 'SIGKILL'); // workers left behind, if any
            return resolve();
          }
          child.once('exit', () => resolve());
          signalGroup(child, 'SIGKILL');
        }),
    ),
  );
}

/** The test process's environment without keys and tokens, plus `env`. */
export function childEnv(env: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!SECRET.test(name)) out[name] = value;
  return { ...out, ...env };
}

/** Spawns `voiceagent ...args` from the sources in the repository root. */
function spawnCli(args: readonly string[], env: Readonly<Record<string, string>>): { child: ChildProcess; out: { stdout: string; stderr: string }; exited: Promise<Exit> } {
  // Its own process group: a test can signal it as a terminal's Ctrl-C does (the group), and kill its workers with it.
  const child = spawn(process.execPath, [...FROM_SOURCES, ...args], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, out, exited };
}

/** Runs a command that is expected to end by itself (a refusal): resolves with its code and output; kills it after `timeoutMs`. */
export async function runCli(args: readonly string[], options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {}): Promise<Exit & { readonly stdout: string; readonly stderr: string }> {
  const { child, out, exited } = spawnCli(args, options.env ?? {});
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), options.timeoutMs ?? 15_000);
  const exit = await exited;
  clearTimeout(timer);
  // The pipes can hold the last bytes for a moment after `exit`.
  await new Promise<void>((resolve) => (child.stdout!.readableEnded ? resolve() : child.stdout!.once('end', () => resolve())));
  return { ...exit, stdout: out.stdout, stderr: out.stderr };
}

/**
 * Starts `voiceagent serve --json ...args` and resolves once it listens (its first stdout line parsed). Rejects
 * with its output when it exits first or does not listen within `timeoutMs`. `plain: true` leaves out `--json`
 * and reads only the URL from the `listening on` line (`agents` is then empty).
 */
export async function startServe(args: readonly string[], options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number; readonly plain?: boolean } = {}): Promise<ServeProcess> {
  const { child, out, exited } = spawnCli(['serve', ...(options.plain ? [] : ['--json']), ...args], options.env ?? {});
  const parse = (line: string): ListeningLine => {
    if (!options.plain) return JSON.parse(line) as ListeningLine;
    const url = /^listening on (http:\/\/\S+)$/.exec(line)?.[1];
    if (!url) throw new Error('no listening line');
    return { url, workers: 0, agents: [] };
  };
  const listening = await new Promise<ListeningLine>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within ${options.timeoutMs ?? 20_000} ms; stderr:\n${out.stderr}`)), options.timeoutMs ?? 20_000);
    const onData = () => {
      const newline = out.stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout!.off('data', onData);
      clearTimeout(timer);
      try {
        resolve(parse(out.stdout.slice(0, newline)));
      } catch {
        reject(new Error(`not a listening line: ${out.stdout.slice(0, newline)}`));
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${exit.code ?? exit.signal}) before it listened; stderr:\n${out.stderr}`));
    });
  });
  return {
    child,
    listening,
    url: listening.url,
    ws: listening.url.replace(/^http/, 'ws'),
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    logs: () =>
      out.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    exited,
    signal: (signal) => void child.kill(signal),
    signalGroup: (signal) => signalGroup(child, signal),
  };
}

/** A fresh `--data` folder; `removeDataDirs()` deletes them all. */
const dataDirs: string[] = [];
export function makeDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-serve-'));
  dataDirs.push(dir);
  return dir;
}
export function removeDataDirs(): void {
  for (const dir of dataDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Every call record under `<data>/calls/<day>/`, by call id. */
export function readRecords(dataDir: string): CallRecord[] {
  const calls = join(dataDir, 'calls');
  if (!existsSync(calls)) return [];
  const records: CallRecord[] = [];
  for (const day of readdirSync(calls)) {
    for (const file of readdirSync(join(calls, day))) {
      if (file.endsWith('.json')) records.push(JSON.parse(readFileSync(join(calls, day, file), 'utf8')) as CallRecord);
    }
  }
  return records;
}

/** Files of any kind under `<data>/calls/` (temporary ones too): a refused call must leave none. */
export function filesUnder(dataDir: string): string[] {
  const calls = join(dataDir, 'calls');
  if (!existsSync(calls)) return [];
  return readdirSync(calls, { recursive: true, encoding: 'utf8' });
}

/** Polls `check` every 20 ms until it gives something truthy; rejects after `timeoutMs` saying `what`. */
export async function until<T>(what: string, check: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** GET a path of the server: status and body text. */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

/** `voiceagent_calls_total` summed over its labels (optionally one agent's), from `/metrics`. */
export async function callsTotal(url: string, agent?: string): Promise<number> {
  const { body } = await get(`${url}/metrics`);
  let total = 0;
  for (const line of body.split('\n')) {
    const match = /^voiceagent_calls_total\{([^}]*)\} (\S+)$/.exec(line);
    if (match && (!agent || match[1]!.includes(`agent="${agent}"`))) total += Number(match[2]);
  }
  return total;
}

/**
 * `voiceagent ...args` from the sources with stdin, stdout and stderr piped (stdout is no terminal, so `call` and
 * `monitor` print plain lines): `waitFor` polls stdout for a pattern until `timeoutMs`, failing early if the
 * process exits. The caller kills the child when its test ends.
 */
export function spawnPipedCli(args: readonly string[], options: { readonly env?: Readonly<Record<string, string>>; readonly timeoutMs?: number } = {}) {
  const child = spawn(process.execPath, [...FROM_SOURCES, ...args], { cwd: ROOT, env: childEnv(options.env) });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = options.timeoutMs ?? 20_000): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = out.match(pattern);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no ${pattern} in the output of voiceagent ${args[0]} (exit ${child.exitCode}):\n${out}\nstderr:\n${err}`);
      await sleep(50);
    }
  };
  return { child, waitFor, exited, output: () => out };
}
