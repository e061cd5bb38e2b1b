/*
 * Meters are stamped with call time. The `levels` and `agent.heard` reports used to take the clock's own time:
 * on the real clock (serve, the playground, monitor) a call 3 s old reported levels "at 8.7 s", the process's
 * uptime. A simulated clock starting at 0 hid it, so this call starts 5 s into its clock's time line.
 */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createEnergyVad } from '../../runtime/audio/vad.js';
import { createCallSession, prepareAgent } from '../../runtime/call/call-session.js';
import type { CallEvent } from '../../runtime/call/events.js';
import { connectTransport } from '../../runtime/call/start-call.js';
import { loadAgent } from '../../runtime/dsl/index.js';
import { createFakeLlm, createFakeTts, createScriptedStt } from '../../runtime/providers/testing/index.js';
import { createInProcessTransport } from '../../runtime/transports/in-process.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';
import { BASE_AGENT } from './harness.js';

describe('meters are stamped with call time', () => {
  it('levels and agent.heard events of a call that starts 5 s into the clock read call time', () => {
    const clock = createSimulatedClock(5_000);
    const loaded = loadAgent({ file: 'meters.yaml', text: stringify({ ...BASE_AGENT, prompt: { system: 'Test.', greeting: 'Hello there, thanks for calling, how can I help you today?' } }) });
    if (!loaded.ok) throw new Error('agent invalid');
    const transport = createInProcessTransport({ clock, sampleRate: 16_000, playoutDelayMs: 0 });
    const session = createCallSession({
      agent: prepareAgent(loaded.spec),
      providers: { stt: createScriptedStt(), tts: createFakeTts({ clock }), llm: () => createFakeLlm({ clock, replies: [], defaultReply: 'Okay.' }), vad: createEnergyVad() },
      transport,
      clock,
    });
    const events: CallEvent[] = [];
    session.onEvent((event) => events.push(event));
    connectTransport(session, transport);
    session.start();
    const silence = new Int16Array(320);
    for (let ms = 0; ms < 2_000; ms += 20) {
      session.pushAudio(silence);
      clock.advance(20);
    }
    const meters = events.filter((e) => e.type === 'levels' || e.type === 'agent.heard');
    expect(meters.filter((e) => e.type === 'levels').length).toBeGreaterThan(10);
    expect(meters.some((e) => e.type === 'agent.heard')).toBe(true);
    for (const event of meters) expect(event.atMs).toBeLessThanOrEqual(2_000);
    session.hangup();
  });
});
