/*
 * The far end reports how far it has played (a browser's played position, Twilio mark echoes on every
 * frame): the transport says `reportsPlayback`, so playout marks every frame and the reports, not an
 * estimate, are the truth of what the caller heard. The agent is reading out a long answer with 200 ms of
 * audio in flight when the caller cuts in. The clear drops the frames still in flight and their marks come
 * back `dropped`: they were never played. The assistant message keeps exactly the words whose audio ends
 * by the last frame the far end confirmed played, no more (not the dropped frames) and no less.
 */
import { describe, expect, it } from 'vitest';
import type { RecordingTransport } from '../../../runtime/testing.js';
import type { CallTransport, PlayedReport } from '../../../runtime/transports/types.js';
import { createHarness } from '../harness.js';

const LONG_REPLY = 'We have appointments on Monday at nine, Wednesday at eleven, Thursday at two, and Friday at four in the afternoon.';
const MS_PER_CHAR = 55;
const SAMPLE_RATE = 8000;

/** Passes everything through, keeping a copy of every played report the far end sends. */
function tappingPlayedReports(reports: PlayedReport[]) {
  return (transport: RecordingTransport): CallTransport => ({
    sampleRate: transport.sampleRate,
    reportsPlayback: transport.reportsPlayback,
    sendAudio: (frame) => transport.sendAudio(frame),
    clear: () => transport.clear(),
    mark: (name) => transport.mark(name),
    bufferedMs: () => transport.bufferedMs(),
    hangup: (reason) => transport.hangup(reason),
    listen: (listener) =>
      transport.listen({
        ...listener,
        onPlayed: (report) => {
          reports.push(report);
          listener.onPlayed(report);
        },
      }),
  });
}

/** The prefix of `text` made of the words whose audio (MS_PER_CHAR per character) ends by `playedMs`. */
function wordsEndingBy(text: string, playedMs: number): string {
  let end = 0;
  for (const word of text.matchAll(/\S+/g)) {
    const charEnd = word.index + word[0].length;
    if (charEnd * MS_PER_CHAR <= playedMs) end = charEnd;
  }
  return text.slice(0, end);
}

describe('barge-in with a far end that reports playback', () => {
  it('keeps exactly the words whose frames the far end confirmed played', async () => {
    const reports: PlayedReport[] = [];
    const h = createHarness({
      reportsPlayback: true,
      playoutDelayMs: 200,
      wrapTransport: tappingPlayedReports(reports),
      tts: { msPerChar: MS_PER_CHAR },
      llm: { replies: [{ match: 'appointments', reply: LONG_REPLY }, { match: 'tuesday', reply: 'Tuesday at ten works.' }], ttftMs: 100 },
    });
    expect(h.transport.reportsPlayback).toBe(true);
    h.start();
    await h.run(200);
    h.say('which appointments do you have');
    await h.runUntil(() => h.session.hasTag('agent-speaking'));
    // Timed so that the caller's pause lands while "appointments" is ending: its last frame is playing.
    await h.run(1220);
    h.say('actually I need Tuesday');
    await h.runUntil(() => h.session.record.bargeIns.some((b) => b.kind === 'interrupt'), 3000);
    await h.run(100);

    // Every frame of the reply was marked; the pause cleared the far end, and the marks in flight came back dropped.
    const utterance = h.transport.marks[0]!.name.split(':')[0]!;
    const frameReports = reports.filter((r) => r.mark.startsWith(`${utterance}:`) && !r.mark.endsWith(':end'));
    const samplesOf = (r: PlayedReport) => Number(r.mark.slice(utterance.length + 1));
    const confirmed = frameReports.filter((r) => !r.dropped);
    const dropped = frameReports.filter((r) => r.dropped);
    expect(h.transport.clears.length).toBeGreaterThan(0);
    expect(dropped.length).toBeGreaterThan(0);
    const confirmedSamples = Math.max(...confirmed.map(samplesOf));
    expect(Math.min(...dropped.map(samplesOf))).toBeGreaterThan(confirmedSamples);
    const confirmedMs = (confirmedSamples * 1000) / SAMPLE_RATE;

    // The context holds the words that ended by the last confirmed frame. The cut is timed so that counting
    // the frame still playing (an estimate from frames started) or the dropped frames would keep more words.
    const expected = wordsEndingBy(LONG_REPLY, confirmedMs);
    expect(expected).toBe('We have');
    expect(wordsEndingBy(LONG_REPLY, confirmedMs + 20)).toBe('We have appointments');
    expect(wordsEndingBy(LONG_REPLY, (Math.max(...dropped.map(samplesOf)) * 1000) / SAMPLE_RATE)).not.toBe(expected);
    const assistant = h.session.record.transcript.find((e) => e.role === 'assistant' && e.intendedText === LONG_REPLY)!;
    expect(assistant).toMatchObject({ text: expected, interrupted: true, cutBy: 'caller' });
    const bargeIn = h.session.record.bargeIns.find((b) => b.kind === 'interrupt')!;
    expect(bargeIn.heardText).toBe(expected);
    // The next word had not been heard to its end.
    const next = LONG_REPLY.slice(expected.length).match(/\S+/)!;
    expect((expected.length + next.index! + next[0].length) * MS_PER_CHAR).toBeGreaterThan(confirmedMs);

    // The model's next request carries the heard words, not the full reply.
    await h.runUntil(() => h.session.record.turns.length === 2 && h.statesInclude('agent.idle'), 5000);
    const contents = h.llm().requests.at(-1)!.messages.map((m) => m.content);
    expect(contents).toContain(expected);
    expect(contents).not.toContain(LONG_REPLY);
  });
});
