/*
 * A silent caller is greeted, reprompted, and finally told goodbye. The far end plays our audio 200 ms after
 * we send it (network and jitter buffer), so when the goodbye's last frame leaves us the caller has not heard
 * it yet: hanging up then would cut the caller's last words off. Playout asks the far end for a mark at the
 * end of the goodbye (`<utterance>:end`); the agent waits in `closing` and hangs up the moment the far end
 * reports that mark played, not before.
 *
 * A far end that never reports marks must not keep the line open for ever: `closing` waits for what the far
 * end still had buffered when the goodbye drained, plus a margin (PLAYED_REPORT_MARGIN_MS), then hangs up.
 */
import { describe, expect, it } from 'vitest';
import { PLAYED_REPORT_MARGIN_MS } from '../../../runtime/compiler/compile-agent.js';
import { compileAgent } from '../../../runtime/compiler/index.js';
import type { RecordingTransport } from '../../../runtime/testing.js';
import type { CallTransport } from '../../../runtime/transports/types.js';
import { createHarness, type Harness } from '../harness.js';

const GREETING = 'Hello, thanks for calling.';
const REPROMPT = 'Are you still there?';
const GOODBYE = 'Goodbye for now.';
const PLAYOUT_DELAY_MS = 200;

function silentCall(wrapTransport?: (transport: RecordingTransport) => CallTransport): Harness {
  return createHarness({
    playoutDelayMs: PLAYOUT_DELAY_MS,
    ...(wrapTransport ? { wrapTransport } : {}),
    patch: {
      prompt: { greeting: GREETING, reprompt: REPROMPT, goodbye: GOODBYE },
      turnTaking: { callerSilence: { repromptAfterMs: 3000, hangupAfterMs: 5000 } },
    },
  });
}

/** A far end that plays the audio but never reports a mark back (a transport that loses its echoes). */
function losingPlayedReports(transport: RecordingTransport): CallTransport {
  return {
    sampleRate: transport.sampleRate,
    reportsPlayback: false,
    sendAudio: (frame) => transport.sendAudio(frame),
    clear: () => transport.clear(),
    mark: (name) => transport.mark(name),
    bufferedMs: () => transport.bufferedMs(),
    hangup: (reason) => transport.hangup(reason),
    listen: (listener) => transport.listen({ ...listener, onPlayed: () => {} }),
  };
}

/** Runs the silent call to its end; returns the goodbye's end mark (the third utterance's). */
async function untilHungUp(h: Harness) {
  h.start();
  await h.runUntil(() => h.session.record.endReason !== undefined, 20_000);
  await h.run(500);
  expect(h.tts.contexts.map((c) => c.text)).toEqual([GREETING, REPROMPT, GOODBYE]);
  const endMarks = h.transport.marks.filter((m) => m.name.endsWith(':end'));
  expect(endMarks.map((m) => m.name)).toEqual(['1:end', '2:end', '3:end']);
  return endMarks[2]!;
}

describe('the goodbye is played before the hang-up', () => {
  it('hangs up exactly when the far end reports the goodbye played to its end', async () => {
    const h = silentCall();
    const goodbyeEnd = await untilHungUp(h);
    const lastFrame = h.transport.sent.at(-1)!;
    // The end mark was asked for when the goodbye drained, and is reported when its last frame has played.
    expect(goodbyeEnd.atMs).toBe(lastFrame.atMs + 20);
    expect(goodbyeEnd.playedAtMs).toBe(lastFrame.playAtMs + lastFrame.durationMs);
    expect(goodbyeEnd.playedAtMs - goodbyeEnd.atMs).toBe(PLAYOUT_DELAY_MS);

    // Waiting in `closing` from the drain to the report, then the hang-up at the report: not a frame earlier.
    const closingAt = h.events.find((e) => e.type === 'state' && e.states.includes('active.agent.closing'))!.atMs;
    expect(closingAt).toBe(goodbyeEnd.atMs);
    expect(h.transport.hangups).toEqual([{ atMs: goodbyeEnd.playedAtMs, reason: 'silence' }]);
    expect(h.session.record.endedAtMs).toBe(goodbyeEnd.playedAtMs);
    expect(h.session.record.endReason).toBe('silence');
    // Everything sent was heard: nothing cleared, nothing left in the far end's buffer.
    expect(h.transport.clears).toEqual([]);
    expect(h.transport.heardMs()).toBe(h.transport.sentMs());
    expect(h.session.record.transcript.map((e) => [e.role, e.text, e.interrupted ?? false])).toEqual([
      ['assistant', GREETING, false],
      ['assistant', REPROMPT, false],
      ['assistant', GOODBYE, false],
    ]);
  });

  it('hangs up after the buffered audio plus the margin when the far end never reports marks', async () => {
    const h = silentCall(losingPlayedReports);
    const goodbyeEnd = await untilHungUp(h);
    // What the far end still had to play when the goodbye drained (and `closing` began).
    const bufferedAtDrainMs = h.transport.sent.filter((f) => !f.dropped && f.playAtMs > goodbyeEnd.atMs).reduce((ms, f) => ms + f.durationMs, 0);
    expect(bufferedAtDrainMs).toBe(PLAYOUT_DELAY_MS - 20);
    expect(compileAgent(h.spec).dynamicDelays.playedTimeoutMs).toEqual({ afterBufferedMs: PLAYED_REPORT_MARGIN_MS });
    expect(PLAYED_REPORT_MARGIN_MS).toBe(1000);

    const hangupAtMs = goodbyeEnd.atMs + bufferedAtDrainMs + PLAYED_REPORT_MARGIN_MS;
    expect(h.transport.hangups).toEqual([{ atMs: hangupAtMs, reason: 'silence' }]);
    // Later than the goodbye was played (nobody told us), but bounded: the line is released.
    expect(hangupAtMs).toBeGreaterThan(goodbyeEnd.playedAtMs);
    expect(h.session.record.endedAtMs).toBe(hangupAtMs);
    expect(h.session.record.endReason).toBe('silence');
    expect(h.transport.heardMs()).toBe(h.transport.sentMs());
  });
});
