/*
 * The agent is reading out a long answer. One second in, the caller cuts in with "actually I need Tuesday".
 * After pauseAfterMs of caller speech playout pauses; once a confident word arrives the interruption is
 * confirmed: the TTS context is cancelled, the transport cleared, and the assistant message in the context
 * becomes exactly the words the caller heard, flagged interrupted. The agent then answers the interruption,
 * and the model sees the truncated message, not the full one.
 */
import { describe, expect, it } from 'vitest';
import { INTERRUPTION_NOTE } from '../../../runtime/call/conversation.js';
import { createHarness } from '../harness.js';

const LONG_REPLY =
  'We have appointments on Monday at nine, Wednesday at eleven, Thursday at two, and Friday at four in the afternoon.';

async function agentSpeakingLongReply(patch: Record<string, unknown> = {}) {
  const h = createHarness({
    patch,
    llm: { replies: [{ match: 'appointments', reply: LONG_REPLY }, { match: 'tuesday', reply: 'Tuesday at ten works.' }], ttftMs: 100 },
    playoutDelayMs: 60,
  });
  h.start();
  await h.run(200);
  h.say('which appointments do you have');
  await h.runUntil(() => h.session.hasTag('agent-speaking'));
  // One second in: the fake TTS (4x real time) is still synthesising, so there is a context to cancel.
  await h.run(1000);
  return h;
}

describe('barge-in cuts the agent mid-sentence', () => {
  it('pauses after pauseAfterMs, confirms on words, keeps only what was heard', async () => {
    const h = await agentSpeakingLongReply();
    const sentBeforeInterruption = h.transport.sent.length;
    h.say('actually I need Tuesday');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);

    const bargeIn = h.session.record.bargeIns.find((b) => b.kind === 'interrupt')!;
    // Reaction: the pause came after pauseAfterMs (80 ms default) of speech, in the frame that completed it.
    expect(bargeIn.reactionMs).toBe(80);
    // Nothing was sent after the pause (playout paused), and the transport was cleared at the pause.
    const pausedAt = bargeIn.reactedAtMs!;
    expect(h.transport.sent.filter((f) => f.atMs > pausedAt)).toHaveLength(0);
    expect(h.transport.clears.some((t) => t === pausedAt)).toBe(true);
    expect(h.transport.sent.length).toBeGreaterThan(sentBeforeInterruption);

    // TTS context of the long reply cancelled.
    const ctx = h.tts.contexts.find((c) => c.text === LONG_REPLY)!;
    expect(ctx.cancelled).toBe(true);

    // The context holds exactly the heard words: a prefix of the reply ending on a whole word, flagged interrupted.
    const assistant = h.session.record.transcript.find((e) => e.role === 'assistant' && e.intendedText === LONG_REPLY)!;
    expect(assistant.interrupted).toBe(true);
    expect(assistant.text.length).toBeGreaterThan(5);
    expect(LONG_REPLY.startsWith(assistant.text)).toBe(true);
    expect(LONG_REPLY[assistant.text.length]).toMatch(/[\s,.]/);
    expect(bargeIn.heardText).toBe(assistant.text);
    // Heard text matches heard audio: the words' audio ends within what the transport played.
    const msPerChar = 55;
    expect(assistant.text.length * msPerChar).toBeLessThanOrEqual(h.transport.heardMs() + msPerChar);

    // The agent answers the interruption; the model saw the truncated message and the interruption note.
    await h.runUntil(() => h.session.record.turns.length === 2 && h.statesInclude('agent.idle'), 5000);
    const requests = h.llm().requests;
    const last = requests[requests.length - 1]!;
    const contents = last.messages.map((m) => m.content);
    expect(contents).toContain(assistant.text);
    expect(contents).not.toContain(LONG_REPLY);
    expect(contents).toContain(INTERRUPTION_NOTE);
    expect(last.messages[last.messages.length - 1]).toEqual({ role: 'user', content: 'actually I need Tuesday' });
    expect(h.session.record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: 'Tuesday at ten works.' });
    expect(h.session.record.turns[0]!.outcome).toBe('interrupted');
  });

  it('ducks instead of pausing when onSpeechStart is duck, and cuts at a word boundary', async () => {
    const h = await agentSpeakingLongReply({ bargeIn: { onSpeechStart: 'duck', duckGainDb: -20 } });
    h.say('actually I need Tuesday');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.reactedAtMs !== undefined), 2000);
    const reactedAt = h.session.record.bargeIns[0]!.reactedAtMs!;
    await h.run(100);
    // Still sending, but about 20 dB quieter.
    const level = (f: { samples: Int16Array }) => Math.max(...Array.from(f.samples, Math.abs));
    const before = h.transport.sent.filter((f) => f.atMs < reactedAt).slice(-5).map(level);
    const after = h.transport.sent.filter((f) => f.atMs > reactedAt).slice(0, 5).map(level);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.max(...after)).toBeLessThan(Math.max(...before) * 0.2);
    await h.runUntil(() => h.session.record.bargeIns[0]!.kind === 'interrupt', 2000);
    const assistant = h.session.record.transcript.find((e) => e.intendedText === LONG_REPLY)!;
    expect(LONG_REPLY[assistant.text.length]).toMatch(/[\s,.]/);
  });
});
