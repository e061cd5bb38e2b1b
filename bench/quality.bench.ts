/*
 * Barge-in quality on simulated calls (offline voices, simulated line), per `bargeIn.onSpeechStart` mode.
 *
 * Each call: the caller asks a question, the agent reads out a long answer (~9 s), and during it the caller
 * does ONE thing at a random moment: a real interruption, a backchannel ("uh-huh", "mm-hmm", "yeah",
 * "right", "okay") or a noise burst (cough, door, breath). Lines run over 3 echo levels (none, 20 dB down at
 * 120 ms, 10 dB down at 180 ms: speakerphone) x 3 pink-noise SNRs (30, 20, 10 dB), G.711 mu-law, 1% loss.
 *
 * Figures, per mode (scored by runtime/sim/measure.ts, from what the caller did and heard):
 *   - false barge-in rate: confirmed interruptions that the caller's speech did not cause (a backchannel, a
 *     noise burst, or the agent's own echo while the caller was silent, in any call), per 100 backchannel and
 *     noise events; the breakdown gives each cause;
 *   - missed barge-in rate: real interruptions that never stopped the agent;
 *   - reaction p50/p95: caller speech onset -> agent audio stopped AT THE CALLER'S EAR (60 ms far-end
 *     playout delay included), for real interruptions;
 *   - false pause rate: backchannels/noise that paused or ducked playout at all (then resumed);
 *   - response latency as heard p50/p95 (caller's speech end -> agent audio at their ear) and dead-air lines
 *     (a caller line answered after more than 4 s, or never);
 *   - failed runs (the call crashed or did not end in time) and events that never fired (the script step never
 *     started, e.g. the reply ended first): both are counted and shown, and an event that never fired is left
 *     out of the rates rather than counted as a success.
 *
 * Usage: npm run bench:quality [-- --per-type 24 --modes pause,duck --json]
 *   (per-type = events of each type per condition; modes default to pause, duck, continue)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { percentile, runScenario, type Scenario, type ScenarioStep } from '../runtime/sim/index.js';
import { summarize, printTable } from './stats.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const PER_TYPE = arg('per-type', 23); // 9 conditions x 23 = 207 events of each type per mode
const ALL_MODES = ['pause', 'duck', 'continue'] as const;
const modesArg = args.includes('--modes') ? (args[args.indexOf('--modes') + 1] ?? '').split(',') : [...ALL_MODES];
const MODES = ALL_MODES.filter((m) => modesArg.includes(m));
if (MODES.length === 0) throw new Error(`--modes takes a comma-separated list of ${ALL_MODES.join(', ')} (got "${modesArg.join(',')}")`);
const ECHOES = [undefined, { delayMs: 120, attenuationDb: 20 }, { delayMs: 180, attenuationDb: 10 }];
const SNRS = [30, 20, 10];
const BACKCHANNELS = ['uh-huh', 'mm-hmm', 'yeah', 'right', 'okay'];
const INTERRUPTIONS = ['Actually, can I ask about prices?', 'Sorry, what about Saturday?', 'Hang on, I need a different day.', 'No, I meant next week.', 'Can you repeat the first part?'];
const NOISES = ['cough', 'door', 'breath'] as const;
const LONG_ANSWER =
  'We offer check-ups, cleanings, fillings, whitening and emergency visits. Most appointments take about forty minutes. ' +
  'We are open on weekdays from eight to six, and on Saturday mornings. Parking is free behind the building, and the entrance is on the left.';

/** A benchmark agent: the receptionist, answering every question with the long answer, in the given mode. */
function agentFile(dir: string, mode: (typeof ALL_MODES)[number]): string {
  const doc = parse(readFileSync(join(import.meta.dirname, '../agents/receptionist.yaml'), 'utf8')) as Record<string, any>;
  doc.name = `bench-${mode}`;
  doc.bargeIn = { ...doc.bargeIn, onSpeechStart: mode };
  doc.offline = { replies: [{ when: { intent: ['prices'] }, say: 'A check-up is ninety-five dollars.' }], default: LONG_ANSWER };
  const file = join(dir, `bench-${mode}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

type EventType = 'interrupt' | 'backchannel' | 'noise';
interface Outcome {
  readonly mode: string;
  readonly type: EventType;
  readonly echo: number;
  readonly snr: number;
  /** The event's script step started (it may not: the reply can end before `afterMs`). */
  readonly fired: boolean;
  /** The run itself failed (crash, or the call did not end in time). */
  readonly failed: boolean;
  readonly confirmed: boolean;
  readonly paused: boolean;
  /** Confirmed interruptions while the caller was silent: the agent's echo (or the line's noise). */
  readonly echoFalse: number;
  readonly reactionMs?: number;
  /** Response latency as heard of the call's answered lines, ms. */
  readonly responsesMs: readonly number[];
  /** Caller lines answered late or never. */
  readonly deadAir: number;
}

function when(afterMs: number) {
  return { agentSpeaking: true, sentence: 1, afterMs, gapMs: 300 };
}

const dir = mkdtempSync(join(tmpdir(), 'va-quality-'));
const outcomes: Outcome[] = [];
const started = performance.now();
let seed = 1;
for (const mode of MODES) {
  const agent = agentFile(dir, mode);
  for (const [echoIndex, echo] of ECHOES.entries()) {
    for (const snr of SNRS) {
      for (const type of ['interrupt', 'backchannel', 'noise'] as const) {
        for (let i = 0; i < PER_TYPE; i++) {
          seed++;
          const at = 600 + ((seed * 7919) % 4000);
          const event: ScenarioStep =
            type === 'interrupt'
              ? { kind: 'say', text: INTERRUPTIONS[seed % INTERRUPTIONS.length]!, when: when(at) }
              : type === 'backchannel'
                ? { kind: 'say', text: BACKCHANNELS[seed % BACKCHANNELS.length]!, when: when(at) }
                : { kind: 'noise', sound: NOISES[seed % NOISES.length]!, when: when(at) };
          const scenario: Scenario = {
            file: `bench/${mode}/${type}/${seed}`,
            name: `${mode}-${type}-${seed}`,
            agentFile: agent,
            caller: {},
            channel: { codec: 'pcmu', noise: { type: 'pink', snrDb: snr }, ...(echo ? { echo } : {}), packetLossPct: 1 },
            script: [{ kind: 'say', text: 'Tell me about your practice.', when: { agentSpeaking: false, sentence: 1, afterMs: 0, gapMs: 300 } }, event],
            expect: {},
          };
          const result = await runScenario(scenario, { seed, maxCallMs: 40_000 });
          const m = result.measurements;
          // The event is script step 1: only attempts it caused are its outcome.
          const eventBargeIns = m.bargeIns.filter((b) => b.step === 1);
          const confirmed = eventBargeIns.find((b) => b.kind === 'interrupt');
          outcomes.push({
            mode,
            type,
            echo: echoIndex,
            snr,
            fired: result.activities.some((a) => a.step === 1),
            failed: result.error !== undefined,
            confirmed: confirmed !== undefined,
            paused: eventBargeIns.length > 0,
            echoFalse: m.bargeIns.filter((b) => b.cause === 'silence' && b.kind === 'interrupt').length,
            ...(confirmed?.reactionHeardMs !== undefined ? { reactionMs: confirmed.reactionHeardMs } : {}),
            responsesMs: m.responseLatenciesMs,
            deadAir: m.deadAirLines.length,
          });
        }
      }
    }
  }
  process.stderr.write(`mode ${mode} done (${outcomes.length} calls, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);
/** False barge-ins among `outcomes`: events that cut the agent off, plus echo-caused ones in any of the calls. */
const falseCount = (all: readonly Outcome[]) => all.filter((o) => o.type !== 'interrupt' && o.fired && o.confirmed).length + all.reduce((n, o) => n + o.echoFalse, 0);
const falseRate = (all: readonly Outcome[]) => pct(falseCount(all), all.filter((o) => o.type !== 'interrupt' && o.fired).length);
const report = MODES.map((mode) => {
  const all = outcomes.filter((o) => o.mode === mode);
  // An event that never fired is no outcome: it is counted apart, never as a success.
  const of = (type: EventType) => all.filter((o) => o.type === type && o.fired);
  const interrupts = of('interrupt');
  const backchannels = of('backchannel');
  const noises = of('noise');
  const responses = all.flatMap((o) => o.responsesMs);
  return {
    mode,
    events: { interrupt: interrupts.length, backchannel: backchannels.length, noise: noises.length },
    neverFired: all.filter((o) => !o.fired).length,
    failedRuns: all.filter((o) => o.failed).length,
    falseBargeInPct: falseRate(all),
    falseOnBackchannelPct: pct(backchannels.filter((o) => o.confirmed).length, backchannels.length),
    falseOnNoisePct: pct(noises.filter((o) => o.confirmed).length, noises.length),
    echoFalseBargeIns: all.reduce((n, o) => n + o.echoFalse, 0),
    missedBargeInPct: pct(interrupts.filter((o) => !o.confirmed).length, interrupts.length),
    falsePausePct: pct([...backchannels, ...noises].filter((o) => o.paused).length, backchannels.length + noises.length),
    reactionMs: summarize(interrupts.flatMap((o) => (o.reactionMs === undefined ? [] : [o.reactionMs]))),
    responseMs: { n: responses.length, p50: percentile(responses, 0.5), p95: percentile(responses, 0.95) },
    deadAirLines: all.reduce((n, o) => n + o.deadAir, 0),
    bySnr: SNRS.map((snr) => ({ snr, missedPct: pct(interrupts.filter((o) => o.snr === snr && !o.confirmed).length, interrupts.filter((o) => o.snr === snr).length), falsePct: falseRate(all.filter((o) => o.snr === snr)) })),
    byEcho: ECHOES.map((_, echo) => ({ echo: ['none', '20 dB @120 ms', '10 dB @180 ms'][echo], echoFalse: all.filter((o) => o.echo === echo).reduce((n, o) => n + o.echoFalse, 0), missedPct: pct(interrupts.filter((o) => o.echo === echo && !o.confirmed).length, interrupts.filter((o) => o.echo === echo).length) })),
  };
});

process.stdout.write(JSON.stringify({ perType: PER_TYPE, calls: outcomes.length, wallSeconds: Math.round((performance.now() - started) / 1000), report }) + '\n');
if (!args.includes('--json')) {
  process.stdout.write('\nmode      false barge-in  (backchannel / noise; echo-caused, included)  missed  false pause  response p50/p95 as heard  dead air  failed runs  never fired\n');
  for (const r of report) {
    const response = `${r.responseMs.p50 ?? '-'} / ${r.responseMs.p95 ?? '-'} ms`;
    process.stdout.write(
      `${r.mode.padEnd(10)}${`${r.falseBargeInPct}%`.padStart(14)}  ${`(${r.falseOnBackchannelPct}% / ${r.falseOnNoisePct}%; ${r.echoFalseBargeIns})`.padStart(45)}  ${`${r.missedBargeInPct}%`.padStart(6)}  ${`${r.falsePausePct}%`.padStart(11)}  ${response.padStart(24)}  ${String(r.deadAirLines).padStart(8)}  ${String(r.failedRuns).padStart(11)}  ${String(r.neverFired).padStart(11)}\n`,
    );
  }
  process.stdout.write('\n');
  printTable(report.map((r) => [`reaction, ${r.mode} (ms, onset -> agent stopped as heard)`, r.reactionMs] as const));
}
