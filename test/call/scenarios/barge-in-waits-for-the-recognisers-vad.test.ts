/*
 * The recogniser runs a VAD of its own (Realtime with `turnDetection: server_vad`). A noise that gets past the
 * local VAD pauses the agent, but with `bargeIn.confirm.serverVad` the barge-in is confirmed only once the
 * recogniser's VAD hears the caller too. Noise it never hears resumes as a false interruption; real words are
 * confirmed as soon as its speech-start event arrives. The recogniser's VAD never starts a barge-in on its own.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const REPLY = 'Your order shipped yesterday and should arrive by Thursday afternoon at the latest, unless the weather turns.';
/** A recogniser with server turn detection; confirmation on duration alone, so words do not decide. */
const SERVER_VAD_STT = { provider: 'openai', model: 'gpt-4o-transcribe', turnDetection: 'server_vad' };

function agentSpeaking(serverVad: boolean, sttSpeechEventsDelayMs: number) {
  const h = createHarness({
    patch: { stt: SERVER_VAD_STT, bargeIn: { confirm: { minSpeechMs: 250, minWords: 0, serverVad }, falseInterruption: { resumeAfterMs: 800 } } },
    llm: { replies: [{ match: 'order', reply: REPLY }] },
    playoutDelayMs: 60,
    sttSpeechEventsDelayMs,
  });
  return h;
}

async function untilSpeaking(h: ReturnType<typeof createHarness>) {
  h.start();
  h.say('where is my order');
  await h.runUntil(() => h.session.hasTag('agent-speaking'));
  await h.run(600);
}

describe("barge-in with the recogniser's VAD as a second opinion", () => {
  it('resumes after noise the recogniser never hears, and says why', async () => {
    const h = agentSpeaking(true, 200);
    await untilSpeaking(h);
    h.noise(600);
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    await h.runUntil(() => h.statesInclude('responding.speaking'), 2000);
    expect(h.session.record.bargeIns).toHaveLength(1);
    expect(h.session.record.bargeIns[0]).toMatchObject({ kind: 'false', reason: "the recogniser's VAD heard no speech" });
    expect(h.tts.contexts.find((c) => c.text === REPLY)!.cancelled).toBe(false);
  });

  it('confirms the same noise on duration alone when serverVad is off', async () => {
    const h = agentSpeaking(false, 200);
    await untilSpeaking(h);
    h.noise(600);
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 1000);
    // The first 20 ms frame at or past minSpeechMs (250 ms) confirms.
    expect(h.session.record.bargeIns[0]!.reason).toBe('speech 260 ms');
  });

  it("confirms when the recogniser's speech start arrives, once the local speech is long enough", async () => {
    const h = agentSpeaking(true, 400);
    await untilSpeaking(h);
    const saidAt = h.now();
    h.say('no I need it sooner than that please');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 2000);
    const bargeIn = h.session.record.bargeIns[0]!;
    // Local speech passed minSpeechMs (250 ms) first; the confirmation waited for the recogniser's event.
    expect(bargeIn.reason).toMatch(/^speech \d+ ms, heard by the recogniser's VAD too$/);
    expect(Number(bargeIn.reason!.match(/\d+/)![0])).toBeGreaterThanOrEqual(250);
    expect(bargeIn.reactedAtMs! - saidAt).toBeLessThan(400);
    expect(h.now() - saidAt).toBeGreaterThanOrEqual(400);
    expect(h.tts.contexts.find((c) => c.text === REPLY)!.cancelled).toBe(true);
  });

  it('confirms at minSpeechMs when the recogniser heard the caller first', async () => {
    const h = agentSpeaking(true, 60);
    await untilSpeaking(h);
    h.say('no I need it sooner than that please');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 2000);
    // The first 20 ms frame at or past minSpeechMs (250 ms) confirms.
    expect(h.session.record.bargeIns[0]!.reason).toBe('speech 260 ms');
  });
});
