/*
 * `voiceagent serve --offline` takes calls from outside the process, end to end: the CLI runs as a child
 * process on 127.0.0.1 with the receptionist on the offline providers, and test callers dial in over the real
 * protocols.
 *
 * A phone call over Twilio Media Streams, as Twilio places it: Twilio fetches the TwiML from the number's
 * webhook (the call's parameters come back as <Parameter>s), opens the stream it names and sends `start` with
 * them. The caller hears the greeting (media arrives, its marks are echoed as played); a second into it they
 * start talking, and the `clear` comes back within the 20 ms tick of the chunk that completed pauseAfterMs of
 * speech, with no agent audio after it while the barge-in is decided (offline, the recogniser cannot be told
 * what a Twilio caller says, so the words never come and the barge-in is decided false: noise). A key press
 * lands in the record; `stop` ends the call as a caller hang-up, and the record on disk holds the stream's
 * start (callSid, custom parameters).
 *
 * An app over the native WebSocket, with typed `say` lines that the server speaks into the call with its
 * offline caller voice: the greeting, a question answered, the next answer cut short (`clear`, then the turn
 * recorded as interrupted at what the client reported played), a key, a hang-up, `ended` with the record, and
 * the same record on disk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../runtime/call/call-record.js';
import type { CallEventOf } from '../../runtime/call/events.js';
import { connectTwilioClient } from '../mocks/twilio-client.js';
import { connectWebSocketCall, untilHeard, type WebSocketCallClient } from '../mocks/websocket-call-client.js';
import { callerSpeech, confirmedMs } from './callers.js';
import { callsTotal, killServes, makeDataDir, readRecords, removeDataDirs, sleep, startServe, until, type ServeProcess } from './serve-process.js';

/** The receptionist's barge-in.pauseAfterMs (agents/receptionist.yaml). */
const PAUSE_AFTER_MS = 80;

let serve: ServeProcess;
let data: string;

beforeAll(async () => {
  data = makeDataDir();
  serve = await startServe(['--offline', '--port', '0', '--workers', '1', 'agents/receptionist.yaml', '--data', data]);
}, 30_000);

afterAll(async () => {
  await killServes();
  removeDataDirs();
});

/** The record of call `callId` once it is on disk. */
const recordOnDisk = (callId: string): Promise<CallRecord> => until(`the record of ${callId} on disk`, () => readRecords(data).find((r) => r.callId === callId), 5000);

describe.concurrent('voiceagent serve --offline', () => {
  it('a Twilio call: TwiML, greeting heard, a barge-in cleared in the same tick, DTMF, stop, the record on disk', { timeout: 40_000 }, async () => {
    // Twilio asks the webhook what to do with the call, with the call's parameters.
    const form = new URLSearchParams({ CallSid: 'CA42serve0000000000000000000000000', AccountSid: 'AC7', From: '+15550100', To: '+15550199' });
    const twiml = await fetch(`${serve.listening.agents[0]!.twiml}?campaign=spring`, { method: 'POST', body: form, signal: AbortSignal.timeout(5000) });
    expect(twiml.status).toBe(200);
    const xml = await twiml.text();
    const streamUrl = /<Stream url="([^"]+)"/.exec(xml)?.[1];
    expect(streamUrl).toBe(serve.listening.agents[0]!.twilio);
    const parameters = Object.fromEntries([...xml.matchAll(/<Parameter name="([^"]+)" value="([^"]+)"\/>/g)].map((m) => [m[1]!, m[2]!]));
    expect(parameters).toEqual({ campaign: 'spring', CallSid: form.get('CallSid'), AccountSid: 'AC7', From: '+15550100', To: '+15550199' });

    const before = await callsTotal(serve.url);
    const client = await connectTwilioClient({ url: streamUrl!, callSid: form.get('CallSid')!, customParameters: parameters });
    try {
      client.start();
      client.startStreaming();

      // The greeting (utterance 1): media arrives and plays; a second of it is confirmed by the echoed marks.
      await client.until('a second of the greeting heard', () => confirmedMs(client, 1) >= 1000, 15_000);
      expect(client.messagesOf('media').length).toBeGreaterThan(40);

      // The caller talks over it: the clear comes back in the tick of the chunk that completed pauseAfterMs.
      const talking = client.say(callerSpeech(0, 1500));
      const clear = await client.until('the clear', () => client.messagesOf('clear')[0], 5000);
      const line = await talking;
      const chunksBeforeClear = line.sentAtMs.filter((at) => at <= clear.atMs);
      // The fixture opens with 40 ms of silence: speech starts in its third chunk.
      const speechBeforeClearMs = (chunksBeforeClear.length - 2) * 20;
      expect(speechBeforeClearMs).toBeGreaterThanOrEqual(PAUSE_AFTER_MS);
      expect(speechBeforeClearMs).toBeLessThanOrEqual(PAUSE_AFTER_MS + 40);
      expect(clear.atMs - chunksBeforeClear.at(-1)!).toBeLessThan(20);
      // Media stops: nothing while the barge-in is decided (it resumes only once it is found to be noise).
      await sleep(400);
      expect(client.messagesOf('media').filter((m) => m.atMs > clear.atMs && m.atMs < clear.atMs + 400)).toEqual([]);

      // The greeting resumes after the false barge-in and plays to its end.
      await client.until('the greeting played to its end', () => client.marks.find((m) => m.name === '1:end' && !m.cleared), 15_000);

      client.dtmf('7');
      await sleep(200);
      client.stop();
      const closed = await client.closed;
      expect(closed.code).toBe(1000);
    } finally {
      client.close();
    }

    const record = await until('the record on disk', () => readRecords(data).find((r) => r.transport?.ids?.streamSid === client.streamSid), 5000);
    expect(record.endReason).toBe('caller-hangup');
    expect(record.agent).toMatchObject({ name: 'receptionist', mode: 'dualplex' });
    expect(record.dtmf.map((d) => d.digit)).toEqual(['7']);
    expect(record.transport).toEqual({
      transport: 'twilio',
      ids: { streamSid: client.streamSid, callSid: form.get('CallSid'), accountSid: expect.stringMatching(/^AC/) },
      parameters,
    });
    expect(record.transcript[0]).toMatchObject({ role: 'assistant', text: expect.stringContaining('Bright Smile Dental') });
    // The barge-in paused playout within pauseAfterMs (+ a frame) of the onset; no words came, so it was noise.
    expect(record.bargeIns).toHaveLength(1);
    expect(record.bargeIns[0]!.kind).toBe('false');
    expect(record.bargeIns[0]!.reactionMs).toBeLessThanOrEqual(PAUSE_AFTER_MS + 20);
    expect(record.failures).toEqual([]);
    expect(client.violations).toEqual([]);
    expect(await callsTotal(serve.url)).toBeGreaterThanOrEqual(before + 1);
    // Every log line about the call carries its id.
    const callLines = serve.logs().filter((line) => line.msg === 'call started' || line.msg === 'call ended');
    expect(callLines.length).toBeGreaterThanOrEqual(2);
    expect(callLines.every((line) => typeof line.callId === 'string')).toBe(true);
  });

  it('a native WebSocket call with say lines: greeting, an answer, a barge-in, DTMF, hangup, ended with the record, the record on disk', { timeout: 60_000 }, async () => {
    const client = await connectWebSocketCall(`${serve.listening.agents[0]!.websocket}?rate=16000&from=browser`, { sampleRate: 16000 });
    try {
      await websocketStory(client);
    } finally {
      client.close();
    }
    const record = client.record!;
    const onDisk = await recordOnDisk(record.callId);
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(record)));
  });
});

type Turn = CallEventOf<'turn'>;

/** The native WebSocket call of the story above; leaves `client.record` set. */
async function websocketStory(client: WebSocketCallClient): Promise<void> {
  const transportStarted = await client.waitForEvent<CallEventOf<'transport.started'>>((e) => e.type === 'transport.started', 5000, 'transport.started');
  expect(transportStarted.info).toEqual({ transport: 'websocket', parameters: { from: 'browser' } });
  await client.waitForEvent((e) => e.type === 'agent.utterance' && e.purpose === 'greeting', 5000, 'the greeting');
  await client.waitFor((m) => m.type === 'audio', 5000, 'greeting audio');
  await untilHeard(client, 'the greeting');

  client.say('What are your opening hours?');
  const answered = await client.waitForEvent<Turn>((e) => e.type === 'turn' && e.record.index === 1, 20_000, 'the first turn');
  expect(answered.record.outcome).toBe('answered');
  expect(answered.record.userText.toLowerCase()).toContain('opening hours');
  await untilHeard(client, 'the answer');

  client.say('How much is a check-up?');
  const reply = await client.waitForEvent<CallEventOf<'agent.utterance'>>((e) => e.type === 'agent.utterance' && e.purpose === 'reply' && e.turnIndex === 2, 15_000, 'the second reply');
  await client.waitForEvent((e) => e.type === 'agent.audio' && e.utteranceId === reply.utteranceId, 5000, 'the second reply audio');
  await sleep(900);
  client.say('Sorry, can I just book for Tuesday?');
  const clear = await client.waitFor((m) => m.type === 'clear', 5000, 'clear');
  const interrupted = await client.waitForEvent<Turn>((e) => e.type === 'turn' && e.record.index === 2, 10_000, 'the interrupted turn');
  expect(interrupted.record.outcome).toBe('interrupted');
  expect(client.received.indexOf(clear)).toBeLessThan(client.received.findIndex((m) => m.type === 'event' && m.event === interrupted));
  const cut = client.events.find((e): e is CallEventOf<'agent.cut'> => e.type === 'agent.cut' && e.utteranceId === reply.utteranceId)!;
  expect(cut.by).toBe('caller');
  expect(cut.heardText.length).toBeLessThan(cut.intendedText.length);
  expect(cut.intendedText.startsWith(cut.heardText)).toBe(true);
  await client.waitForEvent((e) => e.type === 'turn.committed' && e.index === 3, 10_000, 'the booking turn');

  client.send({ type: 'dtmf', digit: '5' });
  await client.waitForEvent((e) => e.type === 'dtmf', 5000, 'the dtmf event');
  client.send({ type: 'hangup' });
  const ended = await client.waitFor((m) => m.type === 'ended', 5000, 'ended');
  expect((await client.closed).code).toBe(1000);
  expect(client.received.at(-1)).toBe(ended);
  const record = client.record!;
  expect(record.endReason).toBe('caller-hangup');
  expect(record.dtmf.map((d) => d.digit)).toEqual(['5']);
  expect(record.turns.map((t) => t.outcome)).toEqual(['answered', 'interrupted', 'hangup']);
  expect(record.transport).toEqual({ transport: 'websocket', parameters: { from: 'browser' } });
  expect(record.bargeIns.filter((b) => b.kind === 'interrupt').map((b) => b.heardText)).toEqual([cut.heardText]);
  expect(client.received.filter((m) => m.type === 'error')).toEqual([]);
}

