// The monitor screen fed the recorded events of two concurrent calls, as the event feed delivers them: it lists
// both (agent, version, short call id, state), follows the first call by itself and shows its panes, follows the
// second on `2` (and by cursor and Enter), marks a call that ended, opens the monitor's help on `?`, and quits
// on `q`. A reconnection note reaches the screen.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { CallEvent, CallEventBody, CallRecord } from '../../../runtime/index.js';
import { MonitorApp } from '../../../cli/tui/monitor-app.js';
import { createMonitorModel } from '../../../cli/tui/monitor-model.js';
import { ANSWERED, envelope } from './call-events.js';

/** The caller hangs up (a record cut down to what the view reads). */
const HANGUP: CallEventBody = { type: 'call.ended', atMs: 9000, record: { endReason: 'caller-hangup', endedAtMs: 9000, turns: [] } as unknown as CallRecord };

/** One call's recorded events under another id (and a version), up to the caller's hangup. */
function callOf(callId: string, version: string): CallEvent[] {
  return envelope([...ANSWERED, HANGUP]).map((event) => ({ ...event, callId, version }));
}

/** Polls the frame until `check` holds (a render is throttled to ten a second). */
async function frameUntil(frame: () => string | undefined, check: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const text = frame() ?? '';
    if (check(text)) return text;
    if (Date.now() > deadline) throw new Error(`the frame never showed ${what}:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the monitor screen', () => {
  it('lists two live calls, follows the first, switches to the second, marks the one that ended, shows help and quits', async () => {
    const model = createMonitorModel();
    const first = callOf('aaaa1111-call', 'v3');
    const second = callOf('bbbb2222-call', 'v4');
    model.apply({ type: 'calls', calls: [] });
    // Interleaved, as two calls on one server arrive; the first call's last event (call.ended) held back.
    const endOfFirst = first.findIndex((e) => e.type === 'call.ended');
    for (let i = 0; i < Math.max(first.length, second.length); i++) {
      if (i < endOfFirst) model.apply({ type: 'event', event: first[i]! });
      if (i < second.length && second[i]!.type !== 'call.ended') model.apply({ type: 'event', event: second[i]! });
    }
    let quit = 0;
    const app = render(<MonitorApp model={model} tags={() => ['127.0.0.1:8080']} onQuit={() => quit++} size={{ columns: 160, rows: 50 }} />);

    let frame = await frameUntil(app.lastFrame, (text) => text.includes('bbbb2222'), 'both calls');
    expect(frame).toContain('CALLS 2 live');
    expect(frame).toMatch(/▶ +1 +receptionist +v3 +aaaa1111 +\d\d:\d\d:\d\d +[A-Z]+/);
    expect(frame).toMatch(/ +2 +receptionist +v4 +bbbb2222 +\d\d:\d\d:\d\d +[A-Z]+/);
    expect(frame).toContain('voiceagent monitor · receptionist · dualplex · en · 127.0.0.1:8080 · call aaaa1111');
    // The followed call's panes are `call`'s: conversation, latency waterfall.
    expect(frame).toContain('A check-up and cleaning is ninety-five dollars.');
    expect(frame).toContain('LATENCY');

    app.stdin.write('2');
    frame = await frameUntil(app.lastFrame, (text) => /▶ +2 +receptionist +v4 +bbbb2222/.test(text), 'the second call followed');
    expect(frame).toContain('call bbbb2222');
    expect(model.followedId()).toBe('bbbb2222-call');

    // The first call ends: still listed, greyed as ended; the cursor and Enter follow it again.
    model.apply({ type: 'event', event: first[endOfFirst]! });
    frame = await frameUntil(app.lastFrame, (text) => /aaaa1111 +\d\d:\d\d:\d\d +ended/.test(text), 'the first call ended');
    expect(frame).toContain('CALLS 1 live');
    app.stdin.write('\u001B[A'); // up: the cursor on the first call, still following the second
    await frameUntil(app.lastFrame, (text) => /›  +1 +receptionist/.test(text) && /▶ +2 +receptionist/.test(text), 'the cursor moved');
    app.stdin.write('\r');
    frame = await frameUntil(app.lastFrame, (text) => /▶ +1 +receptionist/.test(text) && text.includes('call aaaa1111'), 'the first call followed again');
    expect(model.followedId()).toBe('aaaa1111-call');

    model.note('lost the server at http://127.0.0.1:8080 (connection lost); reconnecting in 0.25 s (attempt 1)');
    await frameUntil(app.lastFrame, (text) => text.includes('reconnecting in 0.25 s'), 'the reconnection note');

    app.stdin.write('?');
    frame = await frameUntil(app.lastFrame, (text) => text.includes('KEYS'), 'the help');
    expect(frame).toContain('follow the call with that number');
    expect(frame).not.toContain('Type what the caller says');

    app.stdin.write('q');
    await frameUntil(() => String(quit), (text) => text === '1', 'q to quit');
    app.unmount();
  });

  it('before any call, and attached to a call already in progress', async () => {
    const model = createMonitorModel();
    const app = render(<MonitorApp model={model} tags={() => ['127.0.0.1:8080']} onQuit={() => {}} size={{ columns: 120, rows: 30 }} />);
    await frameUntil(app.lastFrame, (text) => text.includes('voiceagent monitor · no call yet · 127.0.0.1:8080'), 'no call yet');
    expect(app.lastFrame()).toContain('CALLS 0 live waiting for a call…');
    // The feed lists a call that started before the monitor attached: its events come from now on.
    model.apply({ type: 'calls', calls: [{ callId: 'cccc3333-call', agent: 'pizza', version: 'v9', startedAt: '2026-01-01T00:00:00.000Z' }] });
    const frame = await frameUntil(app.lastFrame, (text) => text.includes('cccc3333'), 'the call in progress');
    expect(frame).toContain('voiceagent monitor · pizza · 127.0.0.1:8080');
    expect(frame).toMatch(/CALLS 1 live ›▶1 cccc3333 IDLE/);
    app.unmount();
  });

  it('a new call is followed by itself while the followed one has ended, but not after the user picked one', () => {
    const model = createMonitorModel();
    const [a, b, c] = ['a-1', 'b-2', 'c-3'].map((id) => callOf(id, 'v1'));
    model.apply({ type: 'event', event: a![0]! });
    expect(model.followedId()).toBe('a-1');
    model.apply({ type: 'event', event: b![0]! });
    expect(model.followedId()).toBe('a-1');
    model.apply({ type: 'event', event: a!.find((e) => e.type === 'call.ended')! });
    model.apply({ type: 'event', event: c![0]! });
    expect(model.followedId()).toBe('c-3');
    model.follow('b-2');
    model.apply({ type: 'calls', calls: [] }); // reconnected: the server has no calls any more
    expect(model.rows().map((r) => r.state)).toEqual(['ended (caller-hangup)', 'ended', 'ended']);
    expect(model.followedId()).toBe('b-2');
  });
});
