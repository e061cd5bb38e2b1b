/*
 * A caller on a speakerphone over a VoIP leg: the agent's voice comes back 700 ms late, 10 dB down (the
 * example scenario scenarios/receptionist/echo-on-a-long-voip-path.yaml). The echo handler measures that
 * delay on the call and gates around it, so the echo never starts a barge-in attempt; the call record says
 * what it measured, so a bad line can be told from a bad agent afterwards. The simulated line adds the
 * transport's 60 ms playout delay and a frame of inbound buffering: our audio comes back 780 ms after we
 * sent it, which is what the record must say.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario, runScenario } from '../../../runtime/sim/index.js';

const FILE = join(import.meta.dirname, '../../../scenarios/receptionist/echo-on-a-long-voip-path.yaml');

describe('a long VoIP echo path', () => {
  it('is measured on the call, recorded, and never taken for the caller', async () => {
    const loaded = loadScenario({ file: FILE });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
    const { record } = await runScenario(loaded.scenario);

    expect(record.echo?.delayMs).toBeGreaterThanOrEqual(760);
    expect(record.echo?.delayMs).toBeLessThanOrEqual(800);
    expect(record.echo?.erlDb).toBeGreaterThan(6);
    expect(record.echo?.erlDb).toBeLessThanOrEqual(10);
    // Only the caller's real interruption: no attempt on the echo of the agent's own voice.
    expect(record.bargeIns.filter((b) => b.kind === 'interrupt')).toHaveLength(1);
    expect(record.bargeIns.length).toBeLessThanOrEqual(2);
  });
});
