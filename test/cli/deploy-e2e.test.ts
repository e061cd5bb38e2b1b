/*
 * The deploy workflow end to end, as a user runs it: `voiceagent init` a project, commit it in git, start
 * `voiceagent serve --offline --data DIR` with no agent files (it serves what gets deployed), point the
 * project's `local` environment at it, `deploy --yes`. A Twilio call comes in and hears the first greeting.
 * While it is still on the line, the greeting is changed and committed; `deploy --dry-run` shows the YAML and
 * chart diff against the live version and pushes nothing; `deploy` ships it. The running call keeps the
 * version it started with, a new call gets the new one, `rollback` brings the first back as a new activation,
 * and `versions` and `calls` show all of it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../cli/main.js';
import type { CallSummary } from '../../runtime/api/admin-client.js';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { connectTwilioClient, type TwilioTestClient } from '../mocks/twilio-client.js';
import { childEnv } from '../server/serve-process.js';
import { fakeIO } from './fake-io.js';

// tsx by its path: the child runs in a folder outside the repository, where `--import tsx` would not resolve.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const FROM_SOURCES = ['--import', TSX, fileURLToPath(new URL('../server/cli-from-sources.ts', import.meta.url))];
const NEW_GREETING = 'Bright Smile Dental, version two speaking, how can I help?';

let root: string;
let project: string;
let data: string;
let serve: ChildProcess | undefined;
let serveUrl = '';
let serveErr = '';

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: project, encoding: 'utf8' });
}

/** `voiceagent ...` in-process in the project folder. */
async function cli(...args: string[]) {
  const io = { ...fakeIO(project), env: { USER: 'ada' } };
  const code = await run(['node', 'voiceagent', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

/**
 * `voiceagent serve --json` from the sources in an empty folder (no project, no agents: only deployed agents are
 * served); resolves with its URL from the listening line.
 */
function startServe(cwd: string): Promise<string> {
  const child = spawn(process.execPath, [...FROM_SOURCES, 'serve', '--json', '--offline', '--port', '0', '--workers', '1', '--data', data], { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  serve = child;
  let out = '';
  child.stderr!.on('data', (chunk: Buffer) => (serveErr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 20 s:\n${serveErr}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n') || !line) return;
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { url: string }).url);
      } catch {
        reject(new Error(`not a listening line: ${line}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it listened:\n${serveErr}`));
    });
  });
}

/** A Twilio call to the deployed receptionist that waits for its greeting's first audio. */
let calls = 0;
async function placeCall(): Promise<TwilioTestClient> {
  // Each call its own stream sid: that is how its record is found again.
  const streamSid = `MZ${String(++calls).padStart(32, '0')}`;
  const client = await connectTwilioClient({ url: `${serveUrl.replace(/^http/, 'ws')}/twilio/receptionist`, streamSid });
  client.start();
  client.startStreaming();
  await client.until('the greeting', () => client.messagesOf('media').length > 5, 20_000);
  return client;
}

async function hangUp(client: TwilioTestClient): Promise<void> {
  client.stop();
  await client.closed;
  client.close();
}

/** `voiceagent calls --json` until `callId` is listed with an end. */
async function listedCall(callId: string): Promise<CallSummary> {
  for (let i = 0; i < 100; i++) {
    const calls = JSON.parse((await cli('calls', '--json')).out) as { calls: CallSummary[] };
    const found = calls.calls.find((c) => c.callId === callId && c.endedAt);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${callId} was never listed as ended`);
}

/** The call id of a Twilio call: its record is found by its stream sid. */
async function callIdOf(client: TwilioTestClient): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const calls = JSON.parse((await cli('calls', '--json')).out) as { calls: CallSummary[] };
    for (const c of calls.calls) {
      const record = JSON.parse((await cli('record', c.callId, '--json')).out) as CallRecord;
      if (record.transport?.ids?.streamSid === client.streamSid) return c.callId;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no record of the call');
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'voiceagent-deploy-e2e-'));
  project = join(root, 'project');
  data = join(root, 'data');
  const empty = join(root, 'empty');
  mkdirSync(empty, { recursive: true });
  serveUrl = await startServe(empty);
  const init = await cli('init', project);
  expect(init.code, init.err).toBe(0);
  const projectFile = join(project, 'voiceagent.yaml');
  writeFileSync(projectFile, readFileSync(projectFile, 'utf8').replace('url: http://127.0.0.1:8787', `url: ${serveUrl}`));
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'Receptionist from voiceagent init');
}, 40_000);

afterAll(() => {
  serve?.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('voiceagent deploy, end to end against serve', () => {
  it('deploys, keeps a running call on its version, serves the new one to new calls, rolls back', { timeout: 60_000 }, async () => {
    const first = await cli('deploy', '--yes');
    expect(first.code, first.err + serveErr).toBe(0);
    const v1 = /receptionist: deployed (v[0-9a-f]{12}), activation #1/.exec(first.out)?.[1];
    expect(v1, first.out).toBeDefined();

    const oldCall = await placeCall();

    const agentFile = join(project, 'agents', 'receptionist.yaml');
    const text = readFileSync(agentFile, 'utf8');
    writeFileSync(agentFile, text.replace(/greeting: .*/, `greeting: ${NEW_GREETING}`));
    git('commit', '-q', '-am', 'A new greeting');

    const dry = await cli('deploy', '--dry-run');
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toMatch(new RegExp(`active ${v1} -> v[0-9a-f]{12}`));
    expect(dry.out).toContain('-  greeting: Thanks for calling Bright Smile Dental');
    expect(dry.out).toContain(`+  greeting: ${NEW_GREETING}`);
    expect(dry.out).toContain('dry run: nothing was pushed');
    expect(JSON.parse((await cli('versions', 'receptionist', '--json')).out)).toMatchObject({ active: v1, versions: [{ id: v1 }] });

    const second = await cli('deploy', '--yes');
    expect(second.code, second.err).toBe(0);
    const v2 = new RegExp(`receptionist: deployed (v[0-9a-f]{12}) \\(was ${v1}\\), activation #2`).exec(second.out)?.[1];
    expect(v2, second.out).toBeDefined();

    const newCall = await placeCall();
    await hangUp(newCall);
    await hangUp(oldCall);
    const oldId = await callIdOf(oldCall);
    const newId = await callIdOf(newCall);
    expect((await listedCall(oldId)).version).toBe(v1);
    expect((await listedCall(newId)).version).toBe(v2);
    const newRecord = JSON.parse((await cli('record', newId, '--json')).out) as CallRecord;
    expect(newRecord.agent.version).toBe(v2);
    // Hung up within the greeting: the record keeps what was heard (`text`) and what was meant (`intendedText`).
    const greetingOf = (record: CallRecord) => record.transcript[0]?.intendedText ?? record.transcript[0]?.text;
    expect(greetingOf(newRecord)).toContain('version two');
    const oldRecord = JSON.parse((await cli('record', oldId, '--json')).out) as CallRecord;
    expect(greetingOf(oldRecord)).toContain('Thanks for calling');

    const back = await cli('rollback', 'receptionist');
    expect(back.code, back.err).toBe(0);
    expect(back.out).toContain(`rolled back to ${v1} (was ${v2}), activation #3`);
    const afterRollback = await placeCall();
    await hangUp(afterRollback);
    expect((await listedCall(await callIdOf(afterRollback))).version).toBe(v1);

    const versions = await cli('versions', 'receptionist');
    expect(versions.code).toBe(0);
    expect(versions.out).toMatch(new RegExp(`^\\* ${v1} .*Receptionist from voiceagent init$`, 'm'));
    expect(versions.out).toMatch(new RegExp(`^  ${v2} .*A new greeting$`, 'm'));
    expect(versions.out).toMatch(/#1 .* deploy/);
    expect(versions.out).toMatch(new RegExp(`#3 .* rollback +${v1} \\(was ${v2}\\)`));

    const calls = await cli('calls', '--agent', 'receptionist', '--since', '10m');
    expect(calls.code).toBe(0);
    expect(calls.out).toContain(oldId);
    expect(calls.out).toContain(newId);
    expect(calls.out.match(new RegExp(v1!, 'g'))).toHaveLength(2);
    expect((await cli('calls', '--version-id', v2!, '--json')).out).toContain(newId);
  });
});
