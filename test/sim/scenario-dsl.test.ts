/*
 * The scenario DSL end to end, on full simulated calls: a recorded voice heard as one turn with its real
 * transcript, a burst of line noise that starts and stops where the script says, a caller's rate and level,
 * and agent overrides that change the agent for one scenario. Each test fails without its feature.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { levelDbfs } from '../../runtime/audio/frames.js';
import { loadScenario, runScenario, type ScenarioResult } from '../../runtime/sim/index.js';
import { packageRoot } from '../../runtime/util/package-root.js';

/** Beside the example scenarios (never written), so `../recordings/...` and the agent path resolve. */
const FILE = join(packageRoot(), 'scenarios', 'receptionist', 'dsl.yaml');
const HEAD = 'apiVersion: voiceagent/v1\nkind: Scenario\nname: dsl\nagent: ../../agents/receptionist.yaml\n';

async function run(body: string): Promise<ScenarioResult> {
  const loaded = loadScenario({ file: FILE, text: HEAD + body });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n'));
  return runScenario(loaded.scenario);
}

/** Level of the caller's line as the agent received it over [fromMs, toMs), dBFS. */
function lineLevel(result: ScenarioResult, fromMs: number, toMs: number): number {
  const { sampleRate, caller } = result.audio;
  return levelDbfs(caller.subarray(Math.round((fromMs * sampleRate) / 1000), Math.round((toMs * sampleRate) / 1000)));
}

const JFK = 'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

describe('a recorded voice', () => {
  it('plays the recording as the caller, heard as one turn with its transcript, its speech end where his speech ends', async () => {
    const result = await run(`channel: { codec: pcm16 }\nscript:\n  - say: ${JFK}\n    audio: ../recordings/jfk.wav\n`);
    const line = result.activities[0]!;
    expect(line.endMs - line.startMs).toBe(11_000);
    expect(line.onsetMs - line.startMs).toBeGreaterThanOrEqual(300);
    expect(line.speechEndMs - line.startMs).toBeGreaterThan(10_500);
    expect(result.record.turns.map((t) => t.userText)).toEqual([JFK]);
    // Scaled to the caller's level (-26 dBFS over his voiced runs): louder than the level of the whole clip.
    expect(lineLevel(result, line.onsetMs, line.onsetMs + 1800)).toBeGreaterThan(-29);
    expect(result.checks.filter((c) => !c.passed)).toEqual([]);
  });
});

describe('setNoise', () => {
  it('changes the line for `durationMs`, then gives it back; the next step waits for the burst to end', async () => {
    const result = await run('channel: { codec: pcm16 }\ncaller: { levelDb: -6 }\nscript:\n  - say: What are your opening hours?\n  - setNoise: { type: white, snrDb: 10 }\n    durationMs: 2000\n  - say: Thanks, bye.\n');
    const burst = result.activities[1]!;
    expect(burst).toMatchObject({ kind: 'set-noise', text: 'white at 10 dB SNR' });
    expect(burst.endMs - burst.startMs).toBe(2000);
    expect(result.activities[2]!.startMs).toBeGreaterThanOrEqual(burst.endMs);
    // 10 dB under the caller's level, -26 - 6 dBFS; silence before and after.
    expect(lineLevel(result, burst.startMs + 100, burst.endMs - 100)).toBeCloseTo(-42, 0);
    expect(lineLevel(result, burst.startMs - 300, burst.startMs - 20)).toBe(-100);
    expect(lineLevel(result, burst.endMs + 40, result.activities[2]!.startMs)).toBe(-100);
  });
});

describe('caller rate and level', () => {
  it('speaks a line slower and quieter where the step says so', async () => {
    const result = await run('channel: { codec: pcm16 }\nscript:\n  - say: What are your opening hours?\n    rate: 0.6\n    levelDb: -12\n  - say: What are your opening hours?\n  - say: Thanks, bye.\n');
    const [slow, normal] = result.activities;
    expect((slow!.endMs - slow!.startMs) / (normal!.endMs - normal!.startMs)).toBeGreaterThan(1.4);
    const level = (a: typeof slow) => lineLevel(result, a!.onsetMs, a!.speechEndMs);
    expect(level(normal) - level(slow)).toBeCloseTo(12, 0);
  });
});

describe('agentOverrides', () => {
  it('changes the agent for this scenario only', async () => {
    const body = 'script:\n  - say: Tell me a joke.\n';
    const plain = await run(body);
    const changed = await run(`agentOverrides:\n  offline: { default: "Sorry, jokes are not on the menu." }\n${body}`);
    const said = (r: ScenarioResult) => r.record.transcript.filter((e) => e.role === 'assistant').map((e) => e.text);
    expect(said(plain)).toContain('I can help with opening hours, prices and appointments. What would you like to know?');
    expect(said(changed)).toContain('Sorry, jokes are not on the menu.');
  });
});
