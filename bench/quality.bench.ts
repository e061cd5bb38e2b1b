/*
 * Barge-in quality on simulated calls (offline voices, simulated line), per `bargeIn.onSpeechStart` mode.
 *
 * Each call: the caller asks a question, the agent reads out a long answer (~9 s), and during it the caller
 * does ONE thing at a random moment: a real interruption, a backchannel ("uh-huh", "mm-hmm", "yeah",
 * "right", "okay") or a noise burst (cough, door, breath). Lines run over 3 echo levels (none, 20 dB down at
 * 120 ms, 10 dB down at 180 ms: speakerphone) x 3 pink-noise SNRs (30, 20, 10 dB), G.711 mu-law, 1% loss.
 *
 * Figures, per mode:
 *   - false barge-in rate: backchannels and noise bursts that cut the agent off (confirmed interruption);
 *     plus echo-caused ones (a confirmed interruption while the caller was silent);
 *   - missed barge-in rate: real interruptions that never stopped the agent;
 *   - reaction p50/p95: caller speech onset -> agent audio stopped AT THE CALLER'S EAR (60 ms far-end
 *     playout delay included), for real interruptions;
 *   - false pause rate: backchannels/noise that paused or ducked playout at all (then resumed).
 *
 * Usage: npm run bench:quality [-- --per-type 24 --json]   (per-type = events of each type per condition)
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runScenario, type Scenario, type ScenarioStep } from '../runtime/sim/index.js';
import { summarize, printTable } from './stats.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const PER_TYPE = arg('per-type', 23); // 9 conditions x 23 = 207 events of each type per mode
const MODES = ['pause', 'duck', 'continue'] as const;
const ECHOES = [undefined, { delayMs: 120, attenuationDb: 20 }, { delayMs: 180, attenuationDb: 10 }];
const SNRS = [30, 20, 10];
const BACKCHANNELS = ['uh-huh', 'mm-hmm', 'yeah', 'right', 'okay'];
const INTERRUPTIONS = ['Actually, can I ask about prices?', 'Sorry, what about Saturday?', 'Hang on, I need a different day.', 'No, I meant next week.', 'Can you repeat the first part?'];
const NOISES = ['cough', 'door', 'breath'] as const;
const LONG_ANSWER =
  'We offer check-ups, cleanings, fillings, whitening and emergency visits. Most appointments take about forty minutes. ' +
  'We are open on weekdays from eight to six, and on Saturday mornings. Parking is free behind the building, and the entrance is on the left.';

/** A benchmark agent: the receptionist, answering every question with the long answer, in the given mode. */
function agentFile(dir: string, mode: (typeof MODES)[number]): string {
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
  readonly confirmed: boolean;
  readonly paused: boolean;
  readonly echoFalse: number;
  readonly reactionMs?: number;
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
          const eventBargeIns = m.bargeIns.filter((b) => b.cause !== 'silence');
          const confirmed = eventBargeIns.find((b) => b.kind === 'interrupt');
          outcomes.push({
            mode,
            type,
            echo: echoIndex,
            snr,
            confirmed: confirmed !== undefined,
            paused: eventBargeIns.length > 0,
            echoFalse: m.bargeIns.filter((b) => b.cause === 'silence' && b.kind === 'interrupt').length,
            ...(confirmed?.reactionHeardMs !== undefined ? { reactionMs: confirmed.reactionHeardMs } : {}),
          });
        }
      }
    }
  }
  process.stderr.write(`mode ${mode} done (${outcomes.length} calls, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);
const report = MODES.map((mode) => {
  const of = (type: EventType) => outcomes.filter((o) => o.mode === mode && o.type === type);
  const interrupts = of('interrupt');
  const backchannels = of('backchannel');
  const noises = of('noise');
  const all = outcomes.filter((o) => o.mode === mode);
  return {
    mode,
    events: { interrupt: interrupts.length, backchannel: backchannels.length, noise: noises.length },
    falseBargeInPct: pct([...backchannels, ...noises].filter((o) => o.confirmed).length, backchannels.length + noises.length),
    falseOnBackchannelPct: pct(backchannels.filter((o) => o.confirmed).length, backchannels.length),
    falseOnNoisePct: pct(noises.filter((o) => o.confirmed).length, noises.length),
    echoFalseBargeIns: all.reduce((n, o) => n + o.echoFalse, 0),
    missedBargeInPct: pct(interrupts.filter((o) => !o.confirmed).length, interrupts.length),
    falsePausePct: pct([...backchannels, ...noises].filter((o) => o.paused).length, backchannels.length + noises.length),
    reactionMs: summarize(interrupts.flatMap((o) => (o.reactionMs === undefined ? [] : [o.reactionMs]))),
    bySnr: SNRS.map((snr) => ({ snr, missedPct: pct(interrupts.filter((o) => o.snr === snr && !o.confirmed).length, interrupts.filter((o) => o.snr === snr).length), falsePct: pct([...backchannels, ...noises].filter((o) => o.snr === snr && o.confirmed).length, [...backchannels, ...noises].filter((o) => o.snr === snr).length) })),
    byEcho: ECHOES.map((_, echo) => ({ echo: ['none', '20 dB @120 ms', '10 dB @180 ms'][echo], echoFalse: all.filter((o) => o.echo === echo).reduce((n, o) => n + o.echoFalse, 0), missedPct: pct(interrupts.filter((o) => o.echo === echo && !o.confirmed).length, interrupts.filter((o) => o.echo === echo).length) })),
  };
});

process.stdout.write(JSON.stringify({ perType: PER_TYPE, calls: outcomes.length, wallSeconds: Math.round((performance.now() - started) / 1000), report }) + '\n');
if (!args.includes('--json')) {
  process.stdout.write('\nmode      false barge-in  (backchannel / noise)  echo-caused  missed  false pause\n');
  for (const r of report) {
    process.stdout.write(
      `${r.mode.padEnd(10)}${`${r.falseBargeInPct}%`.padStart(14)}  ${`(${r.falseOnBackchannelPct}% / ${r.falseOnNoisePct}%)`.padStart(21)}  ${String(r.echoFalseBargeIns).padStart(11)}  ${`${r.missedBargeInPct}%`.padStart(6)}  ${`${r.falsePausePct}%`.padStart(11)}\n`,
    );
  }
  process.stdout.write('\n');
  printTable(report.map((r) => [`reaction, ${r.mode} (ms, onset -> agent stopped as heard)`, r.reactionMs] as const));
}
