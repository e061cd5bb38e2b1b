/*
 * The deploy-side commands in-process against a server that answers the admin API per the registry contract
 * (test/api/contract-server.ts). The story: a receptionist project in git, its environments in voiceagent.yaml
 * with the token as a `${env:...}` reference. A dry run shows the first deploy and pushes nothing; a script
 * without --yes is refused; the deploy goes through and a second one has nothing to do; an uncommitted edit is
 * refused, previewed by a dry run, and shipped with --allow-dirty; a deploy that races another one is refused as
 * drift; a rollback appends to the history; calls and a record with its WAV come back. Every error a user
 * meets (unknown environment, unset token variable, wrong token, nothing listening, unknown agent) exits 2
 * with a message saying what to do.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSince } from '../../cli/calls.js';
import { run } from '../../cli/main.js';
import { scaffoldProject } from '../../runtime/project/scaffold.js';
import { startContractServer, type ContractServer } from '../api/contract-server.js';
import { fakeIO } from './fake-io.js';

let dir: string;
let server: ContractServer;
const TOKEN = 'local-secret';

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' });
}

const agentFile = () => join(dir, 'agents', 'receptionist.yaml');

beforeEach(async () => {
  server = await startContractServer({ token: TOKEN });
  dir = mkdtempSync(join(tmpdir(), 'voiceagent-deploy-'));
  scaffoldProject({ dir });
  writeFileSync(
    join(dir, 'voiceagent.yaml'),
    `apiVersion: voiceagent/v1
environments:
  local: { url: "${server.url}", token: "\${env:LOCAL_TOKEN}" }
  staging: { url: "http://127.0.0.1:9", token: "\${env:STAGING_TOKEN}" }
defaultEnvironment: local
`,
  );
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'Receptionist, first cut');
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[], options: { env?: Record<string, string>; tty?: boolean; answer?: string } = {}) {
  const io = { ...fakeIO(dir), env: { LOCAL_TOKEN: TOKEN, USER: 'ada', ...options.env } };
  const stdin = options.tty ? Object.assign(Readable.from([`${options.answer ?? ''}\n`]), { isTTY: true }) : undefined;
  const code = await run(['node', 'voiceagent', ...args], stdin ? { ...io, stdin } : io);
  return { code, out: io.out(), err: io.err() };
}

function editAgent(from: string, to: string): void {
  const text = readFileSync(agentFile(), 'utf8');
  expect(text).toContain(from);
  writeFileSync(agentFile(), text.replace(from, to));
}

describe('voiceagent deploy against the admin API contract', () => {
  it('plans a first deploy without pushing, then deploys it once', async () => {
    const dry = await cli(['deploy', '--dry-run']);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out).toContain(`deploy plan for ${server.url} (local)`);
    expect(dry.out).toMatch(/receptionist \(agents\/receptionist\.yaml @ [0-9a-f]{12} "Receptionist, first cut"\)/);
    expect(dry.out).toMatch(/first deploy: v[0-9a-f]{12} \(\d+ lines; chart of \d+ states, \d+ transitions\)/);
    expect(dry.out).toContain('dry run: nothing was pushed');
    expect(server.requests.filter((r) => r.startsWith('POST'))).toEqual([]);

    const refused = await cli(['deploy']);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('needs --yes when stdin is not a terminal');

    const deployed = await cli(['deploy', '--yes']);
    expect(deployed.code, deployed.err).toBe(0);
    const id = server.active.get('receptionist')!;
    expect(deployed.out).toContain(`receptionist: deployed ${id}, activation #1`);
    expect(dry.out).toContain(`first deploy: ${id}`);
    const pushed = server.versions.get('receptionist')![0]!;
    expect(pushed.git).toMatchObject({ author: 'Ada Lovelace <ada@example.com>', message: 'Receptionist, first cut' });
    expect(pushed.file).toBe('agents/receptionist.yaml');
    expect(server.history.get('receptionist')![0]).toMatchObject({ by: 'ada', reason: 'deploy' });

    const again = await cli(['deploy', 'receptionist', '--yes']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('nothing to deploy');
    expect(server.history.get('receptionist')).toHaveLength(1);
  });

  it('asks on a terminal and stops on anything but yes', async () => {
    const no = await cli(['deploy'], { tty: true, answer: 'n' });
    expect(no.code).toBe(1);
    expect(no.err).toContain('deploy cancelled');
    expect(server.active.size).toBe(0);
    const yes = await cli(['deploy'], { tty: true, answer: 'y' });
    expect(yes.code, yes.err).toBe(0);
    expect(server.active.get('receptionist')).toBeDefined();
  });

  it('refuses an uncommitted edit, previews it in a dry run, ships it with --allow-dirty', async () => {
    expect((await cli(['deploy', '--yes'])).code).toBe(0);
    const first = server.active.get('receptionist')!;
    editAgent('pauseAfterMs: 80', 'pauseAfterMs: 120');

    const refused = await cli(['deploy', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('agents/receptionist.yaml has uncommitted changes');
    expect(refused.err).toContain('--allow-dirty');
    expect(server.active.get('receptionist')).toBe(first);

    const dry = await cli(['deploy', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('warning: agents/receptionist.yaml has uncommitted changes');
    expect(dry.out).toContain(`active ${first} -> v`);
    expect(dry.out).toMatch(/^ {2}-  pauseAfterMs: 80 .*$/m);
    expect(dry.out).toMatch(/^ {2}\+  pauseAfterMs: 120 .*$/m);
    expect(dry.out).toContain('~ transition');

    const shipped = await cli(['deploy', '--yes', '--allow-dirty', '--json']);
    expect(shipped.code, shipped.err).toBe(0);
    const report = JSON.parse(shipped.out) as { results: Array<{ status: string; version: string; previous: string }> };
    expect(report.results[0]).toMatchObject({ status: 'deployed', previous: first });
    expect(server.versions.get('receptionist')![0]!.git?.dirty).toBe(true);
  });

  it('refuses a file outside git unless --allow-dirty', async () => {
    rmSync(join(dir, '.git'), { recursive: true, force: true });
    const refused = await cli(['deploy', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('agents/receptionist.yaml is not in a git repository');
    expect((await cli(['deploy', '--yes', '--allow-dirty'])).code).toBe(0);
  });

  it('refuses to activate when someone else deployed after the plan was made', async () => {
    expect((await cli(['deploy', '--yes'])).code).toBe(0);
    editAgent('pauseAfterMs: 80', 'pauseAfterMs: 120');
    git('commit', '-q', '-am', 'Slower pause');
    let theirs = '';
    server.beforeActivate = () => {
      theirs = server.pushDirect(readFileSync(agentFile(), 'utf8').replace('pauseAfterMs: 120', 'pauseAfterMs: 200'));
      server.active.set('receptionist', theirs);
      server.beforeActivate = undefined;
    };
    const raced = await cli(['deploy', '--yes']);
    expect(raced.code).toBe(1);
    expect(raced.err).toContain(`someone else deployed receptionist: the server's active version is ${theirs}`);
    expect(raced.err).toContain('Re-run `voiceagent deploy`');
    expect(server.active.get('receptionist')).toBe(theirs);
  });

  it('rolls back as a new activation and lists versions and history', async () => {
    expect((await cli(['deploy', '--yes'])).code).toBe(0);
    const first = server.active.get('receptionist')!;
    editAgent('pauseAfterMs: 80', 'pauseAfterMs: 120');
    git('commit', '-q', '-am', 'Slower pause');
    expect((await cli(['deploy', '--yes'])).code).toBe(0);
    const second = server.active.get('receptionist')!;

    const back = await cli(['rollback', 'receptionist']);
    expect(back.code, back.err).toBe(0);
    expect(back.out).toBe(`receptionist: rolled back to ${first} (was ${second}), activation #3\n`);
    const same = await cli(['rollback', 'receptionist', '--to', first]);
    expect(same.out).toContain('already active');

    const listed = await cli(['versions', 'receptionist']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^\\* ${first} .*Receptionist, first cut$`, 'm'));
    expect(listed.out).toMatch(new RegExp(`^  ${second} .*Slower pause$`, 'm'));
    expect(listed.out).toMatch(new RegExp(`#3 .* rollback +${first} \\(was ${second}\\) +by ada`));
    const json = JSON.parse((await cli(['versions', 'receptionist', '--json'])).out) as { history: unknown[] };
    expect(json.history).toHaveLength(3);

    const unknown = await cli(['rollback', 'receptionist', '--to', 'v000000000000']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('has no version');
  });

  it('lists calls and fetches a record with its WAV', async () => {
    const now = new Date().toISOString();
    server.calls.push({
      summary: { callId: 'call-1', agent: 'receptionist', version: 'v111111111111', startedAt: now, endedAt: new Date(Date.parse(now) + 65_000).toISOString(), endReason: 'caller-hangup' },
      record: { callId: 'call-1', agent: { name: 'receptionist', mode: 'dualplex', version: 'v111111111111' }, startedAt: now, startedAtMs: 0, endedAtMs: 65_000, endReason: 'caller-hangup', transcript: [{ role: 'assistant', text: 'Hello', language: 'en' }], turns: [], bargeIns: [], failures: [] },
      wav: new Uint8Array([1, 2, 3]),
    });
    const listed = await cli(['calls', '--since', '1h', '--agent', 'receptionist']);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toMatch(/^call-1 +receptionist +v111111111111 +\S+ \S+ +1m05s +caller-hangup$/m);
    expect((await cli(['calls', '--version-id', 'v999999999999'])).out).toBe('no calls\n');
    const bad = await cli(['calls', '--since', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--since takes a duration');

    const shown = await cli(['record', 'call-1', '--wav', 'call.wav']);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain('call call-1: receptionist v111111111111');
    expect(shown.out).toContain('agent : Hello');
    expect([...readFileSync(join(dir, 'call.wav'))]).toEqual([1, 2, 3]);
    const missing = await cli(['record', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no call nope');
  });

  it('says what to fix when the server cannot be talked to', async () => {
    const unknownEnv = await cli(['versions', 'receptionist', '--env', 'stagin']);
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.err).toContain('did you mean `staging`?');

    const unset = await cli(['versions', 'receptionist', '--env', 'staging']);
    expect(unset.code).toBe(2);
    expect(unset.err).toContain('STAGING_TOKEN is not set');

    const down = await cli(['versions', 'receptionist', '--env', 'staging'], { env: { STAGING_TOKEN: 'x' } });
    expect(down.code).toBe(2);
    expect(down.err).toContain('cannot reach the voiceagent server at http://127.0.0.1:9');
    expect(down.err).toContain('voiceagent serve --data');

    const wrong = await cli(['deploy', '--dry-run'], { env: { VOICEAGENT_TOKEN: 'wrong' } });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('refused the token (401)');

    const unknown = await cli(['versions', 'nobody']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no agent named "nobody"');

    const viaEnv = await cli(['versions', 'receptionist'], { env: { VOICEAGENT_URL: 'http://127.0.0.1:9' } });
    expect(viaEnv.err).toContain('cannot reach the voiceagent server at http://127.0.0.1:9');

    const viaUrl = await cli(['versions', 'nobody', '--url', 'ftp://x']);
    expect(viaUrl.err).toContain('--url must be an http:// or https:// URL');

    const noAgent = await cli(['deploy', 'recepshunist', '--dry-run']);
    expect(noAgent.code).toBe(2);
    expect(noAgent.err).toContain('did you mean receptionist?');
  });
});

describe('parseSince', () => {
  it('takes durations back from now and ISO times', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(parseSince('--since', '90m', now)).toBe('2026-12-01T10:30:00.000Z');
    expect(parseSince('--since', '1d', now)).toBe('2026-11-30T12:00:00.000Z');
    expect(parseSince('--since', '2026-12-01T09:00:00+01:00', now)).toBe('2026-12-01T08:00:00.000Z');
  });
});
