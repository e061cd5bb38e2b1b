/*
 * A browser calls an offline agent over the native WebSocket, end to end on a real socket: a `ws` server on
 * 127.0.0.1 wraps each connection in the transport and starts the call with startCall on the offline
 * providers, with `say` spoken by the offline caller voice. The test client behaves like the browser snippet
 * in docs/websocket-protocol.md: its microphone streams silence at real time, its speaker plays the agent at
 * real time and echoes marks when it reaches them. It hears the greeting, asks for the opening hours and is
 * answered, cuts the next answer short (the server clears its queue, and the turn is recorded as interrupted
 * at what was heard), presses a key and hangs up while the agent answers, and gets the record.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { prepareAgent, type PreparedAgent } from '../../../runtime/call/call-session.js';
import type { CallEvent, CallEventOf } from '../../../runtime/call/events.js';
import { startCall, type Call } from '../../../runtime/call/start-call.js';
import { loadAgent } from '../../../runtime/dsl/index.js';
import { foldEvents } from '../../../runtime/observe/index.js';
import { createOfflineProviders, createSimulatedStt } from '../../../runtime/providers/local/index.js';
import { callerVoiceFor, createCallerVoice } from '../../../runtime/sim/caller-voice.js';
import { createOfflineSayer, createWebSocketTransport, parseCallQuery } from '../../../runtime/transports/websocket/index.js';
import { connectWebSocketCall, untilHeard } from '../../mocks/websocket-call-client.js';

type Turn = CallEventOf<'turn'>;

describe('a call over the native WebSocket (real socket, offline agent)', () => {
  let server: WebSocketServer;
  let url: string;
  const calls: Array<Promise<Call>> = [];
  const protocolErrors: string[] = [];

  beforeAll(async () => {
    const loaded = loadAgent({ file: 'agents/receptionist.yaml' });
    if (!loaded.ok) throw new Error('agents/receptionist.yaml is invalid');
    const agent: PreparedAgent = prepareAgent(loaded.spec);
    const voice = await createCallerVoice();
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/calls/receptionist`;
    server.on('connection', (socket, request) => {
      const query = parseCallQuery(new URL(request.url ?? '/', 'http://localhost'));
      if (!query.ok) return socket.close(1008, query.message);
      const language = loaded.spec.languages.default;
      const stt = createSimulatedStt();
      const transport = createWebSocketTransport({
        socket,
        sampleRate: query.sampleRate,
        parameters: query.parameters,
        sayHandler: createOfflineSayer({ voice, stt, sampleRate: query.sampleRate, language, voiceName: callerVoiceFor(language) }),
        onProtocolError: (message) => protocolErrors.push(message),
      });
      calls.push(
        startCall({
          agent,
          transport,
          providers: ({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate, stt }),
          onEvent: (event) => transport.sendEvent(event),
        }),
      );
    });
  });

  afterAll(async () => {
    server.close();
    for (const call of await Promise.all(calls)) call.hangup();
  });

  it('greets, answers, is interrupted, takes a key, and ends with the record', async () => {
    const client = await connectWebSocketCall(`${url}?rate=16000&from=browser`, { sampleRate: 16000 });

    // The greeting: audio arrives, and the events a UI needs tell it.
    const started = await client.waitForEvent<CallEventOf<'call.started'>>((e) => e.type === 'call.started', 5000, 'call.started');
    expect(started.sampleRate).toBe(16000);
    const transportStarted = await client.waitForEvent<CallEventOf<'transport.started'>>((e) => e.type === 'transport.started', 5000);
    expect(transportStarted.info).toEqual({ transport: 'websocket', parameters: { from: 'browser' } });
    await client.waitForEvent((e) => e.type === 'agent.utterance' && e.purpose === 'greeting', 5000, 'the greeting');
    await client.waitFor((m) => m.type === 'audio', 5000, 'greeting audio');
    await untilHeard(client, 'greeting');

    // A typed question, spoken by the offline caller voice, is answered.
    client.say('What are your opening hours?');
    const answered = await client.waitForEvent<Turn>((e) => e.type === 'turn' && e.record.index === 1, 20_000, 'the first turn');
    expect(answered.record.outcome).toBe('answered');
    expect(answered.record.userText.toLowerCase()).toContain('opening hours');
    expect(agentText(client.events, 1)).toMatch(/open Monday to Friday/);
    await untilHeard(client, 'the answer');

    // The next answer is cut short: the server clears the client's queue, then the turn is interrupted.
    client.say('How much is a check-up?');
    const reply = await client.waitForEvent<CallEventOf<'agent.utterance'>>((e) => e.type === 'agent.utterance' && e.purpose === 'reply' && e.turnIndex === 2, 15_000, 'the second reply');
    await client.waitForEvent((e) => e.type === 'agent.audio' && e.utteranceId === reply.utteranceId, 5000);
    await sleep(900);
    client.say('Sorry, can I just book for Tuesday?');
    const clear = await client.waitFor((m) => m.type === 'clear', 5000, 'clear');
    const interrupted = await client.waitForEvent<Turn>((e) => e.type === 'turn' && e.record.index === 2, 10_000, 'the interrupted turn');
    expect(interrupted.record.outcome).toBe('interrupted');
    const clearIndex = client.received.indexOf(clear);
    const turnIndex = client.received.findIndex((m) => m.type === 'event' && m.event === interrupted);
    expect(clearIndex).toBeLessThan(turnIndex);
    // What the context keeps is what the client reported played: a strict prefix of the intended text.
    const cut = client.events.find((e): e is CallEventOf<'agent.cut'> => e.type === 'agent.cut' && e.utteranceId === reply.utteranceId);
    expect(cut?.by).toBe('caller');
    expect(cut!.heardText.length).toBeLessThan(cut!.intendedText.length);
    expect(cut!.intendedText.startsWith(cut!.heardText)).toBe(true);
    // The line that cut in is the next turn; the caller does not wait for its answer.
    const booking = await client.waitForEvent<CallEventOf<'turn.committed'>>((e) => e.type === 'turn.committed' && e.index === 3, 10_000, 'the booking turn');
    expect(booking.userText.toLowerCase()).toContain('tuesday');

    // A key, then the caller hangs up: `ended` with the record, then the server closes.
    client.send({ type: 'dtmf', digit: '5' });
    await client.waitForEvent((e) => e.type === 'dtmf', 5000, 'the dtmf event');
    client.send({ type: 'hangup' });
    const ended = await client.waitFor((m) => m.type === 'ended', 5000, 'ended');
    const { code } = await client.closed;
    expect(code).toBe(1000);
    expect(client.received[client.received.length - 1]).toBe(ended);
    const record = client.record!;
    expect(record.endReason).toBe('caller-hangup');
    expect(record.dtmf.map((d) => d.digit)).toEqual(['5']);
    expect(record.turns.map((t) => t.outcome)).toEqual(['answered', 'interrupted', 'hangup']);
    expect(record.transport).toEqual({ transport: 'websocket', parameters: { from: 'browser' } });
    expect(record.bargeIns.filter((b) => b.kind === 'interrupt').map((b) => b.heardText)).toEqual([cut!.heardText]);

    // A UI folds the same events into its view.
    const view = foldEvents(client.events);
    expect(view.call.ended).toBe(true);
    expect(view.call.missedEvents).toBe(0);
    expect(view.dtmf.digits).toBe('5');
    expect(protocolErrors).toEqual([]);
  }, 90_000);
});


/** The text the agent generated for turn `turnIndex` (its `agent.text` deltas). */
function agentText(events: readonly CallEvent[], turnIndex: number): string {
  const utterance = events.find((e) => e.type === 'agent.utterance' && e.turnIndex === turnIndex);
  if (!utterance || utterance.type !== 'agent.utterance') return '';
  return events.map((e) => (e.type === 'agent.text' && e.utteranceId === utterance.utteranceId ? e.delta : '')).join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
