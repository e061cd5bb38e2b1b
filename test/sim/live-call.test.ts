// A person at the keyboard is the caller of a live call (`voiceagent call`): the engine under the TUI, driven on
// a simulated clock. Typed lines go into the call as audio, so they barge in on the agent like speech does.
import { afterEach, describe, expect, it } from 'vitest';
import { loadAgent, startLiveCall, chooseLiveProviders, type AgentSpec, type CallEvent, type LiveCall } from '../../runtime/index.js';
import { createCallerVoice, type CallerVoice } from '../../runtime/sim/caller-voice.js';
import { createSimulatedClock, flushMicrotasks, type SimulatedClock } from '../../runtime/testing.js';

const RECEPTIONIST = 'agents/receptionist.yaml';

function specOf(file: string): AgentSpec {
  const loaded = loadAgent({ file });
  if (!loaded.ok) throw new Error(`agent ${file} is invalid`);
  return loaded.spec;
}

let voice: Promise<CallerVoice> | undefined;
const running: LiveCall[] = [];
afterEach(() => {
  for (const call of running.splice(0)) call.hangup();
});

interface Rig {
  readonly call: LiveCall;
  readonly clock: SimulatedClock;
  readonly events: CallEvent[];
  readonly notes: string[];
  /** Advances call time 5 ms at a time until `done()` holds; fails after `maxMs`. */
  until(what: string, done: () => boolean, maxMs?: number): Promise<void>;
}

async function liveCall(file = RECEPTIONIST): Promise<Rig> {
  const clock = createSimulatedClock();
  const events: CallEvent[] = [];
  const notes: string[] = [];
  voice ??= createCallerVoice();
  const call = await startLiveCall({ spec: specOf(file), agentFile: file, clock, offline: true, voice: await voice, onEvent: (e) => events.push(e), onNote: (n) => notes.push(n) });
  running.push(call);
  const until = async (what: string, done: () => boolean, maxMs = 20_000) => {
    for (let t = 0; t < maxMs; t += 5) {
      if (done()) return;
      clock.advance(5);
      await flushMicrotasks();
    }
    throw new Error(`timed out waiting for ${what}; last events: ${events.slice(-5).map((e) => e.type).join(', ')}`);
  };
  return { call, clock, events, notes, until };
}

const has = (events: readonly CallEvent[], test: (e: CallEvent) => boolean) => events.some(test);
const agentIdle = (events: readonly CallEvent[]) => {
  const last = events.findLast((e) => e.type === 'state');
  return last?.type === 'state' && last.states.some((s) => s.startsWith('active.agent.idle'));
};

describe('a live call with a keyboard caller', () => {
  it('answers a typed line once the greeting is over', async () => {
    const { call, events, until } = await liveCall();
    await until('the greeting to play out', () => has(events, (e) => e.type === 'agent.audio') && agentIdle(events));
    expect(call.say('What are your opening hours?')).toBeUndefined();
    await until('the turn', () => has(events, (e) => e.type === 'turn.committed'));
    const turn = events.find((e) => e.type === 'turn.committed');
    expect(turn?.type === 'turn.committed' && turn.userText.toLowerCase()).toContain('opening hours');
    await until('the reply', () => has(events, (e) => e.type === 'agent.text' && e.delta.includes('Monday')));
  });

  it('a line typed while the agent talks is a barge-in that cuts the greeting', async () => {
    const { call, events, until } = await liveCall();
    await until('the greeting to be heard', () => has(events, (e) => e.type === 'agent.heard' && e.heardMs > 800));
    call.say('Sorry, how much is a check-up?');
    await until('the cut', () => has(events, (e) => e.type === 'agent.cut'));
    const cut = events.find((e) => e.type === 'agent.cut');
    expect(cut?.type === 'agent.cut' && cut.by).toBe('caller');
    expect(has(events, (e) => e.type === 'barge-in' && e.decision === 'interrupted')).toBe(true);
    await until('the price', () => has(events, (e) => e.type === 'agent.text' && /ninety/.test(e.delta)));
  });

  it('a backchannel during the greeting does not interrupt it', async () => {
    const { call, events, until } = await liveCall();
    await until('the greeting to be heard', () => has(events, (e) => e.type === 'agent.heard' && e.heardMs > 500));
    expect(call.backchannel()).toEqual({ text: 'uh-huh' });
    await until('the backchannel to be recognised', () => has(events, (e) => e.type === 'caller.discarded' || (e.type === 'barge-in' && e.decision === 'resumed')));
    await until('the greeting to play out', () => agentIdle(events));
    expect(has(events, (e) => e.type === 'agent.cut')).toBe(false);
  });

  it('a cough pauses the agent at most', async () => {
    const { call, events, until } = await liveCall();
    await until('the greeting to be heard', () => has(events, (e) => e.type === 'agent.heard' && e.heardMs > 500));
    expect(call.sound('cough')).toBeUndefined();
    await until('the greeting to play out', () => agentIdle(events));
    expect(has(events, (e) => e.type === 'agent.cut')).toBe(false);
  });

  it('hanging up ends the call with the record and both sides of the audio', async () => {
    const { call, clock, until } = await liveCall();
    await until('a second of call', () => clock.now() >= 1000);
    call.hangup();
    let result: Awaited<LiveCall['done']> | undefined;
    void call.done.then((r) => (result = r));
    await until('the record', () => result !== undefined);
    expect(result!.record.endReason).toBe('caller-hangup');
    expect(call.ended).toBe(true);
    // Both channels cover the call: 16 kHz, about a second each.
    expect(result!.audio.caller.length).toBeGreaterThanOrEqual(15_000);
    expect(result!.audio.agent.length).toBeGreaterThanOrEqual(15_000);
    expect(call.say('hello?')).toBe('the call is over');
  });

  it('the language switch cycles through the agent\'s languages', async () => {
    const { call } = await liveCall('agents/multilingual.yaml');
    expect(call.languages).toEqual(['en', 'fr', 'zh']);
    expect(call.language).toBe('en');
    expect(call.switchLanguage()).toBe('fr');
    expect(call.switchLanguage()).toBe('zh');
    expect(call.switchLanguage()).toBe('en');
    expect(call.switchLanguage('zh')).toBe('zh');
  });
});

describe('choosing the providers of a live call', () => {
  const spec = specOf(RECEPTIONIST);
  it('falls back to offline with a note naming the missing key', () => {
    const choice = chooseLiveProviders(spec, { env: {}, agentFile: RECEPTIONIST });
    expect(choice.offline).toBe(true);
    expect(choice.note).toMatch(/no API key for .*offline providers/);
  });
  it('runs offline without a note when asked to', () => {
    expect(chooseLiveProviders(spec, { offline: true, env: {}, agentFile: RECEPTIONIST })).toEqual({ offline: true });
  });
  it('runs on the real providers when every key is set', () => {
    expect(chooseLiveProviders(spec, { env: { OPENAI_API_KEY: 'sk-test', ELEVENLABS_API_KEY: 'el-test' }, agentFile: RECEPTIONIST }).offline).toBe(false);
  });
});
