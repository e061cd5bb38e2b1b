/*
 * The caller coughs while the agent speaks. The cough is loud enough to pause playout, but it never becomes
 * words. After falseInterruption.resumeAfterMs, playout resumes exactly where it paused: the caller hears every
 * sample of the reply once, nothing repeated and nothing lost, even though the transport's buffered audio was
 * cleared at the pause.
 */
import { describe, expect, it } from 'vitest';
import { createHarness } from '../harness.js';

const REPLY = 'Your order shipped yesterday and should arrive by Thursday afternoon at the latest.';

describe('false interruption', () => {
  it('resumes from the paused position after resumeAfterMs', async () => {
    const h = createHarness({ patch: { bargeIn: { falseInterruption: { resumeAfterMs: 800 } } }, llm: { replies: [{ match: 'order', reply: REPLY }] }, playoutDelayMs: 60 });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(1000);
    h.noise(200);
    await h.runUntil(() => h.statesInclude('responding.paused'), 1000);
    const pausedAt = h.session.record.bargeIns[0]!.reactedAtMs!;
    await h.runUntil(() => h.statesInclude('responding.speaking'), 2000);
    expect(h.now() - pausedAt).toBeGreaterThanOrEqual(800);
    expect(h.now() - pausedAt).toBeLessThan(800 + 40);
    await h.runUntil(() => h.statesInclude('agent.idle'), 15_000);
    await h.run(200); // the far end plays its last buffered frames

    expect(h.session.record.bargeIns.map((b) => b.kind)).toEqual(['false']);
    const ctx = h.tts.contexts.find((c) => c.text === REPLY)!;
    expect(ctx.cancelled).toBe(false);
    // The audio the caller heard is exactly the synthesised audio, in order, once.
    const heard = h.transport.heardSamples();
    const heardMs = heard.length / 8;
    expect(Math.abs(heardMs - ctx.audioMs)).toBeLessThanOrEqual(20);
    expect(h.transport.clearRecords.some((c) => c.droppedMs > 0)).toBe(true);
    expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: REPLY });
    expect(h.session.record.turns).toHaveLength(1);
  });

  it('heard audio is the TTS audio sample for sample (no gap, no repeat)', async () => {
    const h = createHarness({ llm: { replies: [{ match: 'order', reply: REPLY }] }, playoutDelayMs: 60 });
    const synthesised: Int16Array[] = [];
    h.session.onEvent(() => {});
    const realOpen = h.tts.open.bind(h.tts);
    (h.tts as { open: typeof h.tts.open }).open = (opts, hooks) => realOpen(opts, { ...hooks, onAudio: (chunk) => { synthesised.push(chunk.pcm); hooks.onAudio(chunk); } });
    h.start();
    h.say('where is my order');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    await h.run(700);
    h.noise(160);
    await h.runUntil(() => h.statesInclude('agent.idle'), 15_000);
    await h.run(200);
    expect(h.session.record.bargeIns.map((b) => b.kind)).toEqual(['false']);
    const expected = Int16Array.from(synthesised.flatMap((c) => Array.from(c)));
    const heard = h.transport.heardSamples().subarray(0, expected.length);
    expect(Array.from(heard)).toEqual(Array.from(expected));
  });
});
