// `voiceagent call --plain` through a pipe, as a CI job or a script would run it: the real CLI in a child
// process on the real clock, a caller line typed on stdin once the greeting is over, the answer and its latency
// read from stdout one line per event, then EOF hangs up and the record (JSON and WAV) is on disk.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnPipedCli } from '../server/serve-process.js';

const children: ChildProcessWithoutNullStreams[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `voiceagent call ...args` from the sources through pipes, with no API keys. */
function runCall(args: readonly string[]) {
  const call = spawnPipedCli(['call', ...args], { env: { OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' } });
  children.push(call.child);
  return call;
}

describe('voiceagent call --plain', () => {
  it('speaks a typed line, prints the answer and its latency, and writes the record at EOF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'voiceagent-call-'));
    dirs.push(dir);
    const call = runCall(['agents/receptionist.yaml', '--plain', '--record', dir]);
    await call.waitFor(/note: no API key for .*offline providers/);
    await call.waitFor(/agent #1 said "Thanks for calling Bright Smile Dental/);
    call.child.stdin.write('What are your opening hours?\n');
    await call.waitFor(/caller partial "What are/);
    await call.waitFor(/turn #1 committed "What are your opening hours\?"/);
    await call.waitFor(/agent #2 speaking "We're open Monday to Friday/);
    await call.waitFor(/latency turn #1 \(answered\): endpoint \d+ · stt \d+ · llm 1st \d+ · tts 1st \d+ · frame \d+ · total \d+ ms/);
    await call.waitFor(/latency so far p50\/p95: /);
    call.child.stdin.end();
    await call.waitFor(/call ended \(caller-hangup\) after [\d.]+ s, 1 turns/);
    const [, path] = await call.waitFor(/record: (\S+\.json)\n/);
    expect(await call.exited).toBe(0);
    const record = JSON.parse(readFileSync(join(process.cwd(), path!), 'utf8')) as { endReason: string; turns: Array<{ userText: string }> };
    expect(record.endReason).toBe('caller-hangup');
    expect(record.turns[0]!.userText).toBe('What are your opening hours?');
    expect(existsSync(join(process.cwd(), path!.replace(/\.json$/, '.wav')))).toBe(true);
    // No escape sequences: a log, not a screen.
    expect(call.output()).not.toMatch(/\u001b\[/);
  }, 60_000);

  it('refuses an agent file that does not exist, with exit code 2', async () => {
    const call = runCall(['agents/nobody.yaml', '--plain']);
    expect(await call.exited).toBe(2);
  }, 30_000);
});
