/*
 * A phone call over the real Twilio protocol, end to end on loopback. A `ws` server wraps each socket in the
 * Twilio transport and starts the receptionist on the offline providers; a test Twilio connects, sends
 * `connected` and `start` with custom parameters, and streams a caller at 20 ms a chunk while playing the
 * agent's audio at real time and echoing marks as Twilio does.
 *
 * The story: the greeting is heard to its end (its end mark echoed as played); the caller asks for the opening
 * hours and the agent answers; a second into the answer the caller talks over it, and the `clear` comes back
 * before the caller's next chunk goes out (the same 20 ms tick as the chunk that completed pauseAfterMs); the
 * words the record keeps for the cut answer are the ones the echoed marks confirm the caller heard; a key
 * press lands in the record; `stop` ends the call as a caller hang-up.
 *
 * The offline recogniser does not listen: like the scenario simulator, the test tells it the caller's words
 * (timed from the fixture) just before their first chunk goes.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { readWav } from '../../../runtime/audio/wav.js';
import type { TimedWord } from '../../../runtime/audio/playout.js';
import { prepareAgent, type CallSession } from '../../../runtime/call/call-session.js';
import type { CallEvent, CallEventOf } from '../../../runtime/call/events.js';
import type { CallTransport } from '../../../runtime/transports/types.js';
import { startCall, type Call } from '../../../runtime/call/start-call.js';
import { formatDiagnostic, loadAgent } from '../../../runtime/dsl/index.js';
import { createOfflineProviders, createSimulatedStt, type SimulatedWord } from '../../../runtime/providers/local/index.js';
import { createTwilioTransport, type TwilioTransport } from '../../../runtime/transports/twilio/index.js';
import { connectTwilioClient, type TwilioTestClient } from '../../mocks/twilio-client.js';

const AGENT_FILE = fileURLToPath(new URL('../../../agents/receptionist.yaml', import.meta.url));

/** `fromMs`-`toMs` of the 8 kHz espeak-ng fixture: "Could you tell me your opening hours?" (40-1900 ms), "And do you have parking nearby." (2180-4250 ms). */
function fixture(fromMs: number, toMs: number): Int16Array {
  const path = fileURLToPath(new URL('../../fixtures/audio/speech-en-female.wav', import.meta.url));
  return readWav(readFileSync(path), path).channels[0]!.slice(fromMs * 8, toMs * 8);
}

/** Words spread over `[startMs, endMs]` of a line, in proportion to their length (the simulated recogniser needs times, not exact ones). */
function wordsOver(text: string, startMs: number, endMs: number): SimulatedWord[] {
  const words = text.split(' ');
  const msPerChar = (endMs - startMs) / words.join('').length;
  let at = startMs;
  return words.map((word) => {
    const start = at;
    at += word.length * msPerChar;
    return { text: word, startMs: Math.round(start), endMs: Math.round(at) };
  });
}

/** The largest sample position of utterance `id` the client echoed as played (not cleared), in ms. */
function confirmedMs(client: TwilioTestClient, id: number): number {
  const samples = client.marks.filter((m) => !m.cleared && m.name.startsWith(`${id}:`) && !m.name.endsWith(':end')).map((m) => Number(m.name.split(':')[1]));
  return Math.max(0, ...samples) / 8;
}

/** A `clear()` the call asked for, and the caller frame (1-based, as delivered) it was handling then, if any. */
interface ClearSeen {
  readonly duringFrame: number | undefined;
}

/** The transport, seen by the test: each clear notes whether it came inside the delivery of a caller frame. */
function watchClears(transport: TwilioTransport, clears: ClearSeen[]): CallTransport {
  let delivered = 0;
  let inFrame = false;
  return {
    sampleRate: transport.sampleRate,
    reportsPlayback: transport.reportsPlayback,
    sendAudio: (frame) => transport.sendAudio(frame),
    mark: (name) => transport.mark(name),
    bufferedMs: () => transport.bufferedMs(),
    hangup: (reason) => transport.hangup(reason),
    clear() {
      clears.push({ duringFrame: inFrame ? delivered : undefined });
      transport.clear();
    },
    listen: (listener) =>
      transport.listen({
        ...listener,
        onAudio(frame) {
          delivered++;
          inFrame = true;
          try {
            listener.onAudio(frame);
          } finally {
            inFrame = false;
          }
        },
      }),
  };
}

/** Watches the event loop: the longest it went without running a 2 ms timer, ms (0 would be a free loop). */
interface EventLoopWatch {
  stop(): number;
}

function watchEventLoop(): EventLoopWatch {
  let last = performance.now();
  let longestMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestMs = Math.max(longestMs, now - last - 2);
    last = now;
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(0, longestMs);
    },
  };
}

/** Stops a wait at once, saying why, when the call ended before it could happen (its providers failed to start). */
function failedEarly(events: readonly CallEvent[]): undefined {
  const ended = events.find((e): e is CallEventOf<'call.ended'> => e.type === 'call.ended');
  if (ended) throw new Error(`the call ended early (${ended.record.endReason}): ${ended.record.failures.map((f) => f.message).join('; ')}`);
  return undefined;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe('a call over Twilio Media Streams', () => {
  it('greets, answers, is interrupted with a clear in the same tick, records DTMF and ends on stop', { timeout: 60_000 }, async () => {
    const loaded = loadAgent({ file: AGENT_FILE });
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
    const agent = prepareAgent(loaded.spec, { sourceHash: loaded.sourceHash });
    const stt = createSimulatedStt();
    const events: CallEvent[] = [];
    const protocolErrors: string[] = [];
    let transport: TwilioTransport | undefined;
    let call: Promise<Call> | undefined;
    let session: CallSession | undefined;
    // The answer's words on its audio time line when it was cut: what "heard up to N ms" means in words.
    let wordsAtCut: readonly TimedWord[] = [];
    const clears: ClearSeen[] = [];
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => server.close());
    await once(server, 'listening');
    server.on('connection', (socket) => {
      transport = createTwilioTransport(socket, { onProtocolError: (message) => protocolErrors.push(message) });
      const onEvent = (event: CallEvent): void => {
        events.push(event);
        if (event.type === 'agent.cut') wordsAtCut = [...(session?.controller.playout.alignedWords ?? [])];
      };
      call = startCall({ agent, transport: watchClears(transport, clears), providers: ({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate, stt }), onEvent });
      void call.then((started) => (session = started.session));
    });
    const eventsOf = <T extends CallEvent['type']>(type: T) => events.filter((e): e is CallEventOf<T> => e.type === type);

    const client = await connectTwilioClient({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/twilio/receptionist`, customParameters: { From: '+15550100', campaign: 'spring' } });
    cleanups.push(() => client.close());
    client.start();
    client.startStreaming();

    // The greeting (utterance 1) plays to its end: its end mark comes back played.
    await client.until('the greeting played to its end', () => client.marks.find((m) => m.name === '1:end' && !m.cleared) ?? failedEarly(events), 20_000);
    expect(client.heardMs()).toBeGreaterThan(2000);
    const greeting = eventsOf('agent.utterance').find((e) => e.purpose === 'greeting');
    expect(greeting?.utteranceId).toBe(1);

    // The caller asks; the answer (utterance 2) starts playing.
    const question = 'Could you tell me your opening hours?';
    await client.say(fixture(0, 2000), () => stt.expect({ words: wordsOver(question, 40, 1900), language: 'en' }));
    const answer = await client.until('the answer to start', () => eventsOf('agent.utterance').find((e) => e.purpose === 'reply'), 10_000);
    await client.until('a second of the answer heard', () => confirmedMs(client, answer.utteranceId) >= 1000, 10_000);

    // The caller talks over it.
    const interruption = 'And do you have parking nearby.';
    // Event-loop stalls (a loaded test machine) delay every side alike; they are measured to be told apart.
    let stalls: EventLoopWatch | undefined;
    cleanups.push(() => stalls?.stop());
    const interrupting = client.say(fixture(2180, 4300), () => {
      stalls = watchEventLoop();
      stt.expect({ words: wordsOver(interruption, 0, 2070), language: 'en' });
    });
    const clear = await client.until('the clear', () => client.messagesOf('clear')[0], 5000);
    const line = await interrupting;
    // Same tick: the clear went out while the call was still handling the caller frame that completed
    // pauseAfterMs of speech, and reached the caller less than a frame after that frame left it.
    const pauseAfterMs = Math.max(loaded.spec.bargeIn.pauseAfterMs, loaded.spec.turnTaking.vad.minSpeechMs);
    const seen = clears[0]!;
    expect(seen.duringFrame).toBeDefined();
    const triggeringChunk = transport!.stats().framesBeforeListen + seen.duringFrame!;
    const speechBeforePauseMs = (triggeringChunk - line.firstChunk + 1) * 20;
    expect(speechBeforePauseMs).toBeGreaterThanOrEqual(pauseAfterMs);
    expect(speechBeforePauseMs).toBeLessThanOrEqual(pauseAfterMs + 60); // the fixture opens with 40 ms of silence
    const clearAfterChunkMs = clear.atMs - client.mediaSentAtMs[triggeringChunk - 1]!;
    const stalledMs = stalls!.stop();
    expect(clearAfterChunkMs, `the clear came ${clearAfterChunkMs.toFixed(1)} ms after the chunk (event loop stalled up to ${stalledMs.toFixed(1)} ms)`).toBeLessThan(20 + stalledMs);
    const paused = eventsOf('barge-in').find((e) => e.decision === 'paused')!;
    // In call time: loop lag on a loaded machine delays frames and adds to it; the frame count above is exact.
    expect(paused.record.reactionMs).toBeLessThanOrEqual(pauseAfterMs + 60);
    // No agent audio after the clear while the barge-in is decided (the answer was paused, not resumed).
    const interrupted = await client.until('the barge-in decided', () => eventsOf('barge-in').find((e) => e.decision === 'interrupted'), 5000);
    expect(interrupted.record.kind).toBe('interrupt');
    expect(client.messagesOf('media').filter((m) => m.atMs > clear.atMs)).toEqual([]);

    // The words kept are those the echoed marks confirm: the cut's heard position is the client's, to a frame
    // (an echo that crossed the clear on the wire counts as dropped: never more than the caller heard).
    const cut = eventsOf('agent.cut').find((e) => e.utteranceId === answer.utteranceId)!;
    const heardByClientMs = confirmedMs(client, answer.utteranceId);
    expect(cut.by).toBe('caller');
    expect(cut.heardMs).toBeLessThanOrEqual(heardByClientMs);
    expect(cut.heardMs).toBeGreaterThanOrEqual(heardByClientMs - 40);
    expect(cut.heardText.length).toBeGreaterThan(0);
    expect(cut.heardText.length).toBeLessThan(cut.intendedText.length);
    // In words: every word whose audio ended by the confirmed position, and none after it.
    const heardBy = (ms: number) => cut.intendedText.slice(0, wordsAtCut.filter((w) => w.endMs <= ms + 1).at(-1)?.charEnd ?? 0);
    expect([heardBy(heardByClientMs), heardBy(heardByClientMs - 20)]).toContain(cut.heardText);

    // A key, then the caller hangs up.
    client.dtmf('5');
    await client.until('the key in the call', () => eventsOf('dtmf')[0], 5000);
    client.stop();
    const record = await (await call!).done;

    expect(record.endReason).toBe('caller-hangup');
    expect(record.dtmf.map((d) => d.digit)).toEqual(['5']);
    expect(record.transport).toEqual({
      transport: 'twilio',
      ids: { streamSid: client.streamSid, callSid: expect.stringMatching(/^CA/), accountSid: expect.stringMatching(/^AC/) },
      parameters: { From: '+15550100', campaign: 'spring' },
    });
    expect(record.turns[0]?.userText.toLowerCase()).toContain('opening hours');
    expect(record.bargeIns.find((b) => b.kind === 'interrupt')?.heardText).toBe(cut.heardText);
    const cutEntry = record.transcript.find((entry) => entry.role === 'assistant' && entry.interrupted);
    expect(cutEntry?.text).toBe(cut.heardText);
    expect(client.violations).toEqual([]);
    expect(protocolErrors).toEqual([]);
    expect(transport!.stats()).toMatchObject({ protocolErrors: 0, framesFilled: 0 });
  });
});
