/*
 * A client may ask for any of the four rates, and the call runs at that rate end to end without resampling:
 * the VAD (WebRTC, decimating 24 and 48 kHz), the echo gate, the offline voice and the simulated recogniser
 * all take the transport's rate. Here each rate carries a whole offline exchange over the transport on a
 * simulated clock: the greeting is heard, a typed line is spoken by the offline caller voice (the offline
 * sayer tells the simulated recogniser its words), and the agent answers it.
 */
import { describe, expect, it } from 'vitest';
import { prepareAgent } from '../../../runtime/call/call-session.js';
import type { CallEvent, CallEventOf } from '../../../runtime/call/events.js';
import { startCall } from '../../../runtime/call/start-call.js';
import { loadAgent } from '../../../runtime/dsl/index.js';
import { createOfflineProviders, createSimulatedStt } from '../../../runtime/providers/local/index.js';
import { createCallerVoice } from '../../../runtime/sim/caller-voice.js';
import { createOfflineSayer, createWebSocketTransport, WEBSOCKET_SAMPLE_RATES } from '../../../runtime/transports/websocket/index.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';
import { advanceAndFlush } from '../../../runtime/util/flush.js';
import { createClientPlayer } from '../../mocks/websocket-call-client.js';
import { createFakeSocket } from './fake-socket.js';

const loaded = loadAgent({ file: 'agents/receptionist.yaml' });
if (!loaded.ok) throw new Error('agents/receptionist.yaml is invalid');
const agent = prepareAgent(loaded.spec);
const voice = await createCallerVoice();

describe('an offline call over the WebSocket transport', () => {
  it.each(WEBSOCKET_SAMPLE_RATES)('runs at %i Hz', async (sampleRate) => {
    const clock = createSimulatedClock();
    const socket = createFakeSocket();
    const stt = createSimulatedStt();
    const errors: string[] = [];
    const transport = createWebSocketTransport({ socket, clock, sampleRate, sayHandler: createOfflineSayer({ voice, stt, sampleRate }), onProtocolError: (message) => errors.push(message) });
    const events: CallEvent[] = [];
    const call = await startCall({
      agent,
      transport,
      clock,
      providers: ({ spec }) => createOfflineProviders(spec, { clock, sampleRate, stt }),
      onEvent: (event) => {
        events.push(event);
        transport.sendEvent(event);
      },
    });
    // The client: a silent microphone at real time, and a speaker that echoes marks as it plays.
    const player = createClientPlayer(clock, (report) => socket.text(report));
    let read = 0;
    const step = async () => {
      socket.binary(new Int16Array(sampleRate / 50));
      await advanceAndFlush(clock, 20, 5);
      for (; read < socket.log.length; read++) {
        const sent = socket.log[read]!;
        if (sent instanceof Int16Array) player.audio((sent.length * 1000) / sampleRate);
        else if (sent.type === 'mark') player.mark(sent.name as string);
        else if (sent.type === 'clear') player.clear();
      }
      player.advance();
    };
    const runUntil = async (done: () => boolean, maxMs: number) => {
      for (let ms = 0; ms < maxMs && !done(); ms += 20) await step();
    };

    await runUntil(() => player.playedMs > 0 && player.queuedMs === 0 && events.some((e) => e.type === 'agent.audio'), 10_000);
    expect(player.playedMs).toBeGreaterThan(2000);
    socket.text({ type: 'say', text: 'What are your opening hours?' });
    const turn = () => events.find((e): e is CallEventOf<'turn'> => e.type === 'turn');
    await runUntil(() => turn() !== undefined, 20_000);
    expect(turn()?.record).toMatchObject({ index: 1, outcome: 'answered' });
    expect(turn()!.record.userText.toLowerCase()).toContain('opening hours');
    socket.text({ type: 'hangup' });
    const record = await call.done;
    expect(record.endReason).toBe('caller-hangup');
    expect(socket.sentOf('ended')).toHaveLength(1);
    expect(socket.closedWith?.code).toBe(1000);
    expect(events.find((e) => e.type === 'call.started')).toMatchObject({ sampleRate });
    expect(errors).toEqual([]);
  });
});
