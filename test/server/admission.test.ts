/*
 * Admission on one server: a cap of N admits exactly N calls however many arrive in one tick, a slot comes back
 * only when released (the call's record written), a Twilio webhook's hold counts until its stream claims it or
 * it expires on the (simulated) clock, and a refusal says which cap is full.
 */
import { describe, expect, it } from 'vitest';
import { createLocalAdmission, parseAgentCaps, type Reservation } from '../../runtime/server/admission.js';
import { createAdmissionGate } from '../../runtime/server/admission-gate.js';
import { silentLogger } from '../../runtime/server/logger.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';

const admitted = (results: Reservation[]) => results.filter((r) => r.ok).length;

describe('local admission', () => {
  it('a burst of 3N calls in one tick against an agent cap of N admits exactly N; a release lets one more in', async () => {
    const admission = createLocalAdmission({ caps: { agentCaps: { receptionist: 4 } } });
    const burst = await Promise.all(Array.from({ length: 12 }, (_, i) => admission.reserve('receptionist', `call-${i}`)));
    expect(admitted(burst)).toBe(4);
    const refused = burst.find((r) => !r.ok);
    expect(refused).toMatchObject({ ok: false, cap: 'agent', limit: 4 });
    expect(refused && !refused.ok && refused.message).toContain('agent receptionist is at its cap of 4 concurrent calls');
    // Another agent is not capped.
    expect((await admission.reserve('dispatch', 'other')).ok).toBe(true);
    const first = burst.find((r) => r.ok)!;
    if (first.ok) await first.slot.release();
    expect((await admission.reserve('receptionist', 'late')).ok).toBe(true);
    expect((await admission.reserve('receptionist', 'later')).ok).toBe(false);
  });

  it('the server cap counts every agent; releasing twice frees one slot only', async () => {
    const admission = createLocalAdmission({ caps: { serverMaxCalls: 2 } });
    const a = await admission.reserve('receptionist', 'a');
    expect((await admission.reserve('dispatch', 'b')).ok).toBe(true);
    expect(await admission.reserve('dispatch', 'c')).toMatchObject({ ok: false, cap: 'server', limit: 2 });
    if (a.ok) {
      await a.slot.release();
      await a.slot.release();
    }
    expect((await admission.reserve('dispatch', 'd')).ok).toBe(true);
    expect((await admission.reserve('dispatch', 'e')).ok).toBe(false);
    expect(admission.held).toBe(2);
  });

  it("a webhook's hold counts until its stream claims it, and lapses after holdMs when no stream comes", async () => {
    const clock = createSimulatedClock(0);
    const admission = createLocalAdmission({ caps: { agentCaps: { receptionist: 1 } }, clock, holdMs: 15_000 });
    expect((await admission.reserve('receptionist', 'webhook-1', 'hold')).ok).toBe(true);
    // A native WebSocket call does not take the held place...
    expect((await admission.reserve('receptionist', 'app-call')).ok).toBe(false);
    // ...the Twilio stream does, over the cap, because its webhook was counted.
    expect((await admission.reserve('receptionist', 'stream-1', 'claim')).ok).toBe(true);
    expect(admission.held).toBe(1);
    expect((await admission.reserve('receptionist', 'stream-2', 'claim')).ok).toBe(false);

    const other = createLocalAdmission({ caps: { agentCaps: { receptionist: 1 } }, clock, holdMs: 15_000 });
    expect((await other.reserve('receptionist', 'webhook-2', 'hold')).ok).toBe(true);
    clock.advance(14_999);
    expect((await other.reserve('receptionist', 'app-call')).ok).toBe(false);
    clock.advance(1);
    expect((await other.reserve('receptionist', 'app-call')).ok).toBe(true);
  });

  it('--agent-cap values parse, and a bad one says what is wrong', () => {
    expect(parseAgentCaps(['receptionist=3', 'dispatch=10'])).toEqual({ receptionist: 3, dispatch: 10 });
    expect(() => parseAgentCaps(['receptionist'])).toThrow(/--agent-cap takes NAME=N .*got "receptionist"/);
    expect(() => parseAgentCaps(['receptionist=0'])).toThrow(/whole number of 1 or more/);
  });
});

describe('admission gate', () => {
  it('answers 503 with Retry-After and the cap in the body over the cap, and logs the refusal', async () => {
    const lines: string[] = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: object) => lines.push(`${msg} ${JSON.stringify(fields)}`) };
    const gate = createAdmissionGate(createLocalAdmission({ caps: { serverMaxCalls: 1 } }), log);
    const first = await gate.admit('receptionist', 'websocket');
    expect('bind' in first).toBe(true);
    const second = await gate.admit('receptionist', 'websocket');
    expect(second).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
    expect('body' in second && second.body).toContain('this server is at its cap of 1 concurrent calls');
    expect(lines.join('\n')).toContain('call refused: over the cap (503)');
    // The bound slot is the call's: releasing it lets the next call in.
    if ('bind' in first) await first.bind().release();
    expect('bind' in (await gate.admit('receptionist', 'websocket'))).toBe(true);
  });
});
