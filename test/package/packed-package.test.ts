/*
 * The package as a consumer gets it: `npm pack` (its `prepare` builds dist/), `npm install` of the tarball into a
 * fresh ESM project, then that project imports `voiceagent` and `voiceagent/testing`, runs a one-turn call with
 * the fakes on the simulated clock, type-checks against the shipped declarations, and is refused a deep import.
 *
 * The package is built and packed from a private copy of its sources (what `files` ships plus the build inputs,
 * with node_modules linked), not in the checkout: the checkout's dist/ may be stale, or being rebuilt by someone
 * else at the same moment, and the test must not rewrite it under other tests that run the built CLI.
 * The install is offline: every dependency is in the npm cache from this repository's own install.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without the outer `npm run`'s npm_* variables, so a nested npm reads only its own config. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

function run(command: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr + (error && typeof error.code !== 'number' ? String(error) : '') });
    });
  });
}

async function mustRun(command: string, args: readonly string[], cwd: string): Promise<Run> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The caller's side of a one-turn call, written as a consumer would, against the installed package only. */
const CONSUMER = `
import { createRequire } from 'node:module';
import { loadAgent, prepareAgent, startCall, formatDiagnostic } from 'voiceagent';
import { createSimulatedClock, createFakeLlm, createFakeTts, createScriptedStt, createRecordingTransport, createEnergyVad, advanceAndFlush } from 'voiceagent/testing';

const text = [
  'apiVersion: voiceagent/v1',
  'name: packed-agent',
  'inference:',
  '  mode: cascade',
  'models:',
  '  main:',
  '    provider: openai',
  '    model: m',
  'voice:',
  '  provider: local',
  '  voices:',
  '    en: en-us',
  'prompt:',
  '  system: You tell callers the opening hours.',
  "  greeting: 'Hello.'",
  '',
].join('\\n');
const loaded = loadAgent({ file: 'agent.yaml', text });
if (!loaded.ok) {
  console.error(loaded.diagnostics.map(formatDiagnostic).join('\\n'));
  process.exit(1);
}

const SAMPLE_RATE = 8000;
const FRAME = 160; // 20 ms
const clock = createSimulatedClock();
const llm = createFakeLlm({ clock, replies: [{ match: 'when do you open', reply: 'We open at nine.' }], ttftMs: 200, tokensPerSecond: 50 });
const stt = createScriptedStt();
const tts = createFakeTts({ clock });
const transport = createRecordingTransport({ clock, sampleRate: SAMPLE_RATE });
const call = await startCall({ agent: prepareAgent(loaded.spec), transport, clock, providers: { stt, tts, llm: () => llm, vad: createEnergyVad() } });
const session = call.session;
if (!session) throw new Error('the call did not start');

const speech = new Int16Array(FRAME);
for (let i = 0; i < FRAME; i++) speech[i] = Math.round(3000 * Math.sin((2 * Math.PI * 220 * i) / SAMPLE_RATE));
const silence = new Int16Array(FRAME);
let audioMs = 0;
let speechUntil = 0;

// One caller frame per 20 ms of call time; the clock advances in 5 ms steps with a flush after each.
async function runUntil(done, maxMs) {
  const start = clock.now();
  while (!done()) {
    if (clock.now() - start > maxMs) throw new Error('not done within ' + maxMs + ' ms; states: ' + session.states().join(', '));
    transport.pushAudio(audioMs < speechUntil ? speech : silence);
    audioMs += 20;
    await advanceAndFlush(clock, 20, 5);
  }
}
const agentIdle = () => session.states().some((state) => state.includes('agent.idle'));
const allPlayed = () => transport.sentMs() > 0 && transport.heardMs() >= transport.sentMs();

// The greeting plays out.
await runUntil(() => allPlayed() && agentIdle(), 10_000);
// The caller asks: speech-like audio for the words while the recogniser reveals them.
const line = 'when do you open';
speechUntil = audioMs + line.split(' ').length * 300;
stt.utter({ text: line });
// The answer plays out, then the caller hangs up.
await runUntil(() => session.record.turns.length === 1 && agentIdle() && allPlayed(), 10_000);
transport.close('caller-hangup');
const record = await call.done;

console.log(JSON.stringify({
  version: createRequire(import.meta.url)('voiceagent/package.json').version,
  turns: record.turns.length,
  answered: record.turns[0]?.outcome,
  endReason: record.endReason,
  transcript: record.transcript.map((entry) => [entry.role, entry.text]),
}));
`;

/** Uses the shipped declarations: resolves only through the "types" conditions of "exports". */
const CONSUMER_TYPES = `
import type { CallEvent, CallRecord, StartCallOptions } from 'voiceagent';
import { loadAgent, prepareAgent } from 'voiceagent';
import type { FakeLlmOptions } from 'voiceagent/testing';
import { createFakeLlm, createSimulatedClock } from 'voiceagent/testing';

const clock = createSimulatedClock();
const options: FakeLlmOptions = { clock, replies: [{ match: /open/i, reply: 'We open at nine.' }], ttftMs: 100 };
export const llm = createFakeLlm(options);
export function outcomes(record: CallRecord): Array<string | undefined> {
  return record.turns.map((turn) => turn.outcome);
}
export function endedAt(event: CallEvent): number | undefined {
  return event.type === 'call.ended' ? event.record.endedAtMs : undefined;
}
export function agentOf(text: string): StartCallOptions['agent'] {
  const loaded = loadAgent({ file: 'agent.yaml', text });
  if (!loaded.ok) throw new Error(loaded.diagnostics.length + ' diagnostics');
  return prepareAgent(loaded.spec);
}
`;

/** One deliberate type error, so the type check is shown able to fail. */
const CONSUMER_TYPE_ERROR = `
import type { FakeLlmOptions } from 'voiceagent/testing';
import { createSimulatedClock } from 'voiceagent/testing';

export const options: FakeLlmOptions = { clock: createSimulatedClock(), replies: [], ttftMs: 'fast' };
`;

interface PackedFile {
  readonly path: string;
}

describe('the packed package, installed into a consumer project', () => {
  let tmp = '';
  let app = '';
  let packedFiles: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'voiceagent-packed-'));

    // A private copy of what the package is built and packed from.
    const stage = join(tmp, 'stage');
    mkdirSync(stage);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const inputs = new Set(['package.json', 'README.md', 'LICENSE', 'tsconfig.json', 'tsconfig.build.json', ...buildConfig.include]);
    for (const entry of manifest.files) if (!entry.startsWith('dist')) inputs.add(entry);
    for (const entry of inputs) if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(stage, entry), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');

    // `npm pack` runs `prepare`, which builds dist/.
    const pack = await mustRun('npm', ['pack', '--json', '--pack-destination', tmp], stage);
    const [packed] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: PackedFile[] }>;
    packedFiles = packed!.files.map((file) => file.path);

    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }, null, 2));
    const tarball = join(tmp, packed!.filename);
    const install = ['install', '--no-audit', '--no-fund'];
    const offline = await run('npm', [...install, '--offline', tarball], app);
    // A dependency missing from the cache: let npm fetch it rather than fail here.
    if (offline.code !== 0 && /ENOTCACHED/.test(offline.stderr)) await mustRun('npm', [...install, '--prefer-offline', tarball], app);
    else if (offline.code !== 0) throw new Error(`npm install --offline exited ${offline.code}:\n${offline.stdout}\n${offline.stderr}`);

    writeFileSync(join(app, 'consumer.mjs'), CONSUMER);
    writeFileSync(join(app, 'consumer-types.ts'), CONSUMER_TYPES);
    writeFileSync(join(app, 'consumer-type-error.ts'), CONSUMER_TYPE_ERROR);
  }, 240_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships the built runtime and CLI with their declarations, and no other build output', () => {
    for (const file of ['package.json', 'bin/voiceagent.js', 'dist/runtime/index.js', 'dist/runtime/index.d.ts', 'dist/runtime/testing.js', 'dist/runtime/testing.d.ts', 'dist/cli/main.js']) {
      expect(packedFiles, file).toContain(file);
    }
    expect(packedFiles.filter((file) => file.startsWith('dist/') && !/^dist\/(runtime|cli)\//.test(file))).toEqual([]);
    expect(packedFiles.filter((file) => /^(runtime|cli|test|bench|scripts)\//.test(file))).toEqual([]);
    // Every source map a shipped file points at is shipped too.
    const maps = packedFiles.filter((file) => file.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.filter((map) => !packedFiles.includes(map.slice(0, -'.map'.length)))).toEqual([]);
  });

  it('imports voiceagent and voiceagent/testing and runs a one-turn call with the fakes', async () => {
    const result = await mustRun(process.execPath, ['--enable-source-maps', 'consumer.mjs'], app);
    const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as unknown;
    expect(output).toEqual({
      version: (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      turns: 1,
      answered: 'answered',
      endReason: 'caller-hangup',
      transcript: [
        ['assistant', 'Hello.'],
        ['user', 'when do you open'],
        ['assistant', 'We open at nine.'],
      ],
    });
    expect(result.stderr).toBe('');
  });

  it('type-checks a consumer against the shipped declarations, and the check rejects a type error', async () => {
    const flags = ['--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck'];
    const [good, bad] = await Promise.all([run(TSC, [...flags, 'consumer-types.ts'], app), run(TSC, [...flags, 'consumer-type-error.ts'], app)]);
    expect(good.stdout + good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(bad.code).not.toBe(0);
    // Rejected for the deliberate error (a string for a number), not for a module it could not resolve.
    expect(bad.stdout).toMatch(/consumer-type-error\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/);
    expect(bad.stdout).not.toMatch(/TS2307|TS7016/);
  }, 60_000);

  it('refuses deep imports into dist/', async () => {
    const deep = await run(process.execPath, ['--input-type=module', '-e', "await import('voiceagent/dist/runtime/call/machine.js')"], app);
    expect(deep.code).not.toBe(0);
    expect(deep.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
