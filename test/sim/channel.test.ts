// The simulated phone line: each impairment a scenario can ask for is measured on what the agent receives.
import { describe, expect, it } from 'vitest';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from '../../runtime/audio/g711.js';
import { createChannel, type Channel, type ChannelOptions } from '../../runtime/sim/channel.js';
import { NOISE_TYPES, renderNoise } from '../../runtime/sim/noise.js';

/** Caller "speech" for measurements: stationary noise at telephony's nominal -26 dBFS. */
function callerSignal(sampleRate: number, seconds: number, levelDbfs = -26): Int16Array {
  return renderNoise({ type: 'white', sampleRate, levelDbfs, seed: 1234, samples: sampleRate * seconds });
}

/** Runs `caller` (or silence) through the channel tick by tick, feeding `agent` to the echo path; lost frames become silence. */
function run(channel: Channel, ticks: number, caller?: Int16Array, agent?: Int16Array): { out: Int16Array; lost: boolean[] } {
  const n = channel.frameSamples;
  const out = new Int16Array(ticks * n);
  const lost: boolean[] = [];
  for (let t = 0; t < ticks; t++) {
    if (agent && (t + 1) * n <= agent.length) channel.agentFrame(agent.subarray(t * n, (t + 1) * n));
    const frame = channel.inbound(caller?.subarray(t * n, (t + 1) * n));
    lost.push(frame === undefined);
    if (frame) out.set(frame, t * n);
  }
  return { out, lost };
}

/** Lag (in samples, 0 to `maxLag`) at which `received` best matches `sent`, and the gain there in dB. */
function echoOf(sent: Int16Array, received: Int16Array, maxLag: number): { lag: number; gainDb: number } {
  let best = { lag: 0, correlation: -Infinity };
  const length = sent.length - maxLag;
  for (let lag = 0; lag <= maxLag; lag++) {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += sent[i]! * received[i + lag]!;
    if (sum > best.correlation) best = { lag, correlation: sum };
  }
  let energy = 0;
  for (let i = 0; i < length; i++) energy += sent[i]! ** 2;
  return { lag: best.lag, gainDb: 20 * Math.log10(best.correlation / energy) };
}

describe('createChannel', () => {
  it('passes a clean pcm16 line through untouched, at 16 kHz in 320-sample frames', () => {
    const channel = createChannel({ codec: 'pcm16', seed: 1 });
    expect([channel.sampleRate, channel.frameSamples]).toEqual([16000, 320]);
    const caller = callerSignal(16000, 1);
    expect(run(channel, 50, caller).out).toEqual(caller);
  });

  it('applies the G.711 round trip: mu-law on pcmu, A-law on pcma', () => {
    const caller = callerSignal(8000, 1, -16);
    const mulaw = run(createChannel({ codec: 'pcmu', seed: 1 }), 50, caller).out;
    const alaw = run(createChannel({ codec: 'pcma', seed: 1 }), 50, caller).out;
    expect(mulaw).toEqual(decodeMulaw(encodeMulaw(caller)));
    expect(alaw).toEqual(decodeAlaw(encodeAlaw(caller)));
    expect(mulaw).not.toEqual(caller);
    // Companding keeps about 38 dB of signal-to-quantisation-noise ratio at speech levels.
    const error = mulaw.map((s, i) => s - caller[i]!);
    expect(levelDbfs(caller) - levelDbfs(error)).toBeGreaterThan(30);
  });

  it('carries digital silence when the caller is silent on a clean line', () => {
    const { out, lost } = run(createChannel({ codec: 'pcmu', seed: 1 }), 10);
    expect(lost.some(Boolean)).toBe(false);
    expect(out.every((s) => s === 0)).toBe(true);
  });

  for (const type of NOISE_TYPES) {
    it(`mixes ${type} noise at the requested SNR below the nominal speech level`, () => {
      for (const snrDb of [5, 20]) {
        // pcm16: the residual after removing the caller is the noise alone (no codec error).
        const caller = callerSignal(16000, 10);
        const { out } = run(createChannel({ codec: 'pcm16', noise: { type, snrDb }, seed: 3 }), 500, caller);
        const noise = out.map((s, i) => s - caller[i]!);
        expect(Math.abs(levelDbfs(caller) - levelDbfs(noise) - snrDb), `${type} SNR ${snrDb} dB`).toBeLessThan(1);
        // On a mu-law line with the caller silent, the noise sits snrDb below -26 dBFS.
        const quiet = run(createChannel({ codec: 'pcmu', noise: { type, snrDb }, seed: 3 }), 500).out;
        expect(Math.abs(-26 - levelDbfs(quiet) - snrDb), `${type} SNR ${snrDb} dB on pcmu`).toBeLessThan(1);
      }
    });
  }

  it('takes the SNR relative to speechLevelDbfs when given', () => {
    const { out } = run(createChannel({ codec: 'pcm16', noise: { type: 'white', snrDb: 10 }, seed: 3, speechLevelDbfs: -20 }), 250);
    expect(levelDbfs(out)).toBeCloseTo(-30, 0);
  });

  for (const [codec, delayMs, attenuationDb] of [['pcm16', 100, 20], ['pcmu', 240, 6], ['pcma', 0, 40]] as const) {
    it(`echoes the agent ${delayMs} ms late and ${attenuationDb} dB down on ${codec}, measured by cross-correlation`, () => {
      const channel = createChannel({ codec, echo: { delayMs, attenuationDb }, seed: 1 });
      const rate = channel.sampleRate;
      const agent = renderNoise({ type: 'pink', sampleRate: rate, levelDbfs: -16, seed: 77, samples: rate * 2 });
      const { out } = run(channel, 150, undefined, agent); // 3 s: the agent talks for 2, then is silent
      const echo = echoOf(agent, out, (rate * 300) / 1000);
      expect(echo.lag).toBe((delayMs * rate) / 1000);
      expect(Math.abs(echo.gainDb + attenuationDb), `gain ${echo.gainDb.toFixed(2)} dB`).toBeLessThan(0.5);
      // Once the agent's last audio has echoed, the line is silent again (A-law has no zero: its quietest level is 8).
      expect(out.subarray(rate * 2 + (delayMs * rate) / 1000).every((s) => Math.abs(s) <= (codec === 'pcma' ? 8 : 0))).toBe(true);
    });
  }

  it('plays agent audio queued ahead of time in the following ticks', () => {
    const channel = createChannel({ codec: 'pcm16', echo: { delayMs: 40, attenuationDb: 0 }, seed: 1 });
    const agent = callerSignal(16000, 0.1); // 5 frames, all given in the first tick
    channel.agentFrame(agent);
    const { out } = run(channel, 10);
    expect(out.subarray(640, 640 + agent.length)).toEqual(agent);
    expect(out.subarray(0, 640).every((s) => s === 0)).toBe(true);
  });

  it('clips the mix to 16 bits instead of wrapping around', () => {
    const loud = new Int16Array(320).fill(30000);
    const channel = createChannel({ codec: 'pcm16', echo: { delayMs: 0, attenuationDb: 0 }, seed: 1 });
    channel.agentFrame(loud);
    expect(channel.inbound(loud)!.every((s) => s === 32767)).toBe(true);
  });

  it('loses packets at the requested rate, the same ones for the same seed', () => {
    const lossOf = (seed: number, packetLossPct: number) => run(createChannel({ codec: 'pcmu', packetLossPct, seed }), 10_000).lost;
    for (const pct of [1, 10, 50]) {
      const lost = lossOf(5, pct);
      expect(Math.abs((100 * lost.filter(Boolean).length) / lost.length - pct), `${pct} %`).toBeLessThan(Math.max(0.3, pct * 0.1));
    }
    expect(lossOf(5, 10)).toEqual(lossOf(5, 10));
    expect(lossOf(5, 10)).not.toEqual(lossOf(6, 10));
    expect(lossOf(5, 0).some(Boolean)).toBe(false);
    const channel = createChannel({ codec: 'pcmu', packetLossPct: 10, seed: 5 });
    const lost = run(channel, 1000).lost.filter(Boolean).length;
    expect(channel.stats()).toEqual({ frames: 1000, lostFrames: lost });
  });

  it('is deterministic, and losing packets does not change the noise or echo of the frames that arrive', () => {
    const options: ChannelOptions = { codec: 'pcmu', noise: { type: 'babble', snrDb: 15 }, echo: { delayMs: 120, attenuationDb: 12 }, seed: 11 };
    const caller = callerSignal(8000, 4);
    const agent = renderNoise({ type: 'white', sampleRate: 8000, levelDbfs: -20, seed: 2, samples: 8000 * 4 });
    const clean = run(createChannel(options), 200, caller, agent);
    expect(run(createChannel(options), 200, caller, agent)).toEqual(clean);
    const lossy = run(createChannel({ ...options, packetLossPct: 20 }), 200, caller, agent);
    expect(lossy.lost.filter(Boolean).length).toBeGreaterThan(20);
    lossy.lost.forEach((lost, t) => {
      if (!lost) expect(lossy.out.subarray(t * 160, (t + 1) * 160)).toEqual(clean.out.subarray(t * 160, (t + 1) * 160));
    });
  });

  it('refuses a line a scenario cannot have, naming the field to fix', () => {
    const base: ChannelOptions = { codec: 'pcmu', seed: 1 };
    expect(() => createChannel({ ...base, sampleRate: 16000 })).toThrow(/channel.codec pcmu is G.711.*8000 Hz/);
    expect(() => createChannel({ ...base, codec: 'opus' as 'pcmu' })).toThrow(/use pcmu, pcma or pcm16/);
    expect(() => createChannel({ ...base, packetLossPct: 60 })).toThrow(/channel.packetLossPct/);
    expect(() => createChannel({ ...base, echo: { delayMs: 2000, attenuationDb: 20 } })).toThrow(/channel.echo.delayMs/);
    expect(() => createChannel({ ...base, echo: { delayMs: 100, attenuationDb: -3 } })).toThrow(/channel.echo.attenuationDb/);
    expect(() => createChannel(base).inbound(new Int16Array(100))).toThrow(/100 samples.*160/);
  });
});
