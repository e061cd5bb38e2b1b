/*
 * What the far end says outside the audio reaches the call's record and its observers. When its stream starts
 * a telephony transport sends ids (Twilio's callSid) and the caller side's custom parameters: the record keeps
 * them as `transport` and a `transport.started` event tells them. A key the caller presses (DTMF) is an entry
 * in the record's `dtmf` and a `dtmf` event, at the call time it was pressed. Keys pressed after the line
 * closed are not the call's any more.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { prepareAgent } from '../../runtime/call/call-session.js';
import type { CallEvent } from '../../runtime/call/events.js';
import { startCall } from '../../runtime/call/start-call.js';
import { createEnergyVad } from '../../runtime/audio/vad.js';
import { advanceAndFlush, createFakeLlm, createFakeTts, createRecordingTransport, createScriptedStt, createSimulatedClock } from '../../runtime/testing.js';
import { loadAgent } from '../../runtime/dsl/index.js';
import { BASE_AGENT, createHarness } from './harness.js';

const START_INFO = { ids: { callSid: 'CA1' }, parameters: { from: '+100' } };

describe('DTMF and the transport start', () => {
  it('records the far end start info and the keys pressed, and tells observers', async () => {
    const h = createHarness({ startInfo: START_INFO });
    h.start();
    await h.run(1000);
    const pressedAtMs = h.now();
    h.transport.pressDtmf('5');
    await h.run(200);
    h.transport.close('caller-hangup');
    h.transport.pressDtmf('9');
    const record = await h.session.done;

    expect(record.transport).toEqual({ transport: 'in-process', ...START_INFO });
    expect(record.dtmf).toEqual([{ atMs: pressedAtMs, digit: '5' }]);
    expect(h.eventsOf('transport.started').map((e) => e.info)).toEqual([{ transport: 'in-process', ...START_INFO }]);
    expect(h.eventsOf('dtmf').map((e) => [e.atMs, e.digit])).toEqual([[pressedAtMs, '5']]);
    // The final record carries both too.
    const ended = h.eventsOf('call.ended')[0]!;
    expect(ended.record.transport).toEqual(record.transport);
    expect(ended.record.dtmf).toEqual([{ atMs: pressedAtMs, digit: '5' }]);
  });

  it('reaches the call through startCall with an in-process transport', async () => {
    const loaded = loadAgent({ file: 'test-agent.yaml', text: stringify(BASE_AGENT) });
    if (!loaded.ok) throw new Error('BASE_AGENT is invalid');
    const clock = createSimulatedClock();
    const transport = createRecordingTransport({ clock, startInfo: START_INFO });
    const events: CallEvent[] = [];
    const llm = createFakeLlm({ clock, replies: [], defaultReply: 'Okay.' });
    const call = await startCall({
      agent: prepareAgent(loaded.spec),
      transport,
      clock,
      callId: 'call-dtmf',
      providers: { stt: createScriptedStt(), tts: createFakeTts({ clock }), llm: () => llm, vad: createEnergyVad() },
      onEvent: (event) => events.push(event),
    });
    await advanceAndFlush(clock, 500, 20);
    transport.pressDtmf('5');
    await advanceAndFlush(clock, 100, 20);
    transport.close('caller-hangup');
    const record = await call.done;

    expect(record.callId).toBe('call-dtmf');
    expect(record.transport).toEqual({ transport: 'in-process', ...START_INFO });
    expect(record.dtmf).toEqual([{ atMs: 500, digit: '5' }]);
    expect(events.filter((e) => e.type === 'transport.started')).toMatchObject([{ callId: 'call-dtmf', info: { transport: 'in-process', ...START_INFO } }]);
    expect(events.filter((e) => e.type === 'dtmf')).toMatchObject([{ callId: 'call-dtmf', atMs: 500, digit: '5' }]);
    expect(record.endReason).toBe('caller-hangup');
  });
});
