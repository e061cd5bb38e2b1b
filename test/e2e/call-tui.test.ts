// `voiceagent call` under a real terminal (tmux, 160x50): a person types a caller line, interrupts the agent's
// answer mid-sentence, sends a backchannel, and reads on the screen what the call did (the agent's state, the
// cut point ✂ with the unheard rest, the barge-in log, the latency figures), then quits with q and finds the
// record. Needs tmux. UPDATE_CAPTURES=1 also writes the screen mid-call to docs/tui-capture.txt.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SOCKET = `voiceagent-call-e2e-${process.pid}`;
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'voiceagent-call-tui-'));

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
}
const screen = () => tmux('capture-pane', '-p', '-t', 'call');

/** Polls the screen until `test` holds; fails with the last screen after `timeoutMs`. */
async function waitForScreen(what: string, test: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const agentLine = (text: string, start: string) => text.split('\n').find((line) => line.startsWith('agent') && line.includes(start)) ?? '';

afterAll(() => {
  if (hasTmux) spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux)('voiceagent call in a terminal', () => {
  it('shows states, the cut point, barge-ins and latencies as a person talks to the receptionist, then quits and writes the record', async () => {
    const command = `env -u CI -u CONTINUOUS_INTEGRATION OPENAI_API_KEY= ELEVENLABS_API_KEY= ${process.execPath} --import tsx test/server/cli-from-sources.ts call agents/receptionist.yaml --record ${dir}; echo EXIT=$?; sleep 600`;
    tmux('new-session', '-d', '-s', 'call', '-x', '160', '-y', '50', '-c', process.cwd(), command);

    // The greeting plays to its end: the chart shows the agent speaking, then idle.
    await waitForScreen('the greeting', (s) => /SPEAKING/.test(s) && s.includes('[responding.speaking'));
    await waitForScreen('the greeting to end', (s) => s.includes('how can I help you today?') && / IDLE /.test(s));

    tmux('send-keys', '-t', 'call', 'How much is a check-up?', 'Enter');
    await waitForScreen('the committed turn', (s) => s.includes('How much is a check-up? (turn 1)'));
    // Mid-sentence: the agent has said its first words and has more to say.
    await waitForScreen('the answer under way', (s) => /A check-up and cleaning[^▸]*▸\s*\S/.test(agentLine(s, 'A check-up')));
    tmux('send-keys', '-t', 'call', 'Sorry, can I book for Tuesday?', 'Enter');
    const cut = await waitForScreen('the cut', (s) => agentLine(s, 'A check-up').includes('✂'));
    expect(agentLine(cut, 'A check-up')).toMatch(/✂ .*\(cut by caller at [\d.]+s\)/);
    // Both lines were spoken: no "not spoken" note (a spoken line once showed "not spoken: the call is starting").
    expect(cut).not.toContain('not spoken');
    await waitForScreen('the barge-in log', (s) => /paused \d+ ms\s+✂ interrupted/.test(s));

    await waitForScreen('the answer to the booking', (s) => /I have a slot on Tuesday[^▸]*▸\s*\S/.test(agentLine(s, 'I have a slot')));
    tmux('send-keys', '-t', 'call', 'M-b');
    const heard = await waitForScreen('the backchannel', (s) => s.includes('uh-huh (backchannel: no turn)') && /↺ resumed/.test(s));
    // Latency figures of the first turn and the running percentiles.
    expect(heard).toMatch(/#1 How muc…\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+/);
    expect(heard).toMatch(/p50\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+/);
    if (process.env.UPDATE_CAPTURES) writeFileSync('docs/tui-capture.txt', heard.trimEnd() + '\n');

    tmux('send-keys', '-t', 'call', 'q');
    const end = await waitForScreen('the exit', (s) => s.includes('EXIT='));
    expect(end).toContain('EXIT=0');
    const path = end.match(/record: (\S+\.json)/)?.[1];
    expect(path).toBeDefined();
    expect(existsSync(join(process.cwd(), path!))).toBe(true);
    expect(existsSync(join(process.cwd(), path!.replace(/\.json$/, '.wav')))).toBe(true);
  });
});
