/*
 * Barge-in and turn-taking quality on simulated calls over real lines (offline voices, simulated line), per
 * `bargeIn.onSpeechStart` mode.
 *
 * Each call: the caller asks a question, the agent reads out a long answer (~9 s), and during it the caller
 * does ONE thing at a seeded moment: a real interruption, a backchannel or a noise burst (cough, door,
 * breath). The lines (bench/quality/conditions.ts) vary one thing at a time around a base line (pcmu, pink
 * noise at 20 dB SNR): no noise, pink and white noise, babble at 5, 10 and 15 dB, recorded office ambience and
 * keyboard typing, interruptions by a real speaker (the JFK recording), echo paths of 100-800 ms at 6-20 dB,
 * A-law, 16 kHz linear PCM, 5 % loss, backchannel spellings in English, French and Mandarin (the multilingual
 * agent), plus a few hard combinations.
 *
 * Figures per condition and mode (scored by runtime/sim/measure.ts from what the caller did and heard): false
 * barge-in % (echo- and line-caused ones included), missed barge-in %, reaction as heard p50/p95, false-pause
 * rate and pause duration p95, response latency as heard p50/p95, dead-air lines, failed runs and events that
 * never fired (left out of the rates, never counted as a success). Then the issue's targets (pause mode), each
 * met or not met by how much.
 *
 * Usage: npm run bench:quality [-- --per-type 8 --modes pause,duck --conditions base,babble-10 --json --details
 *          --override '{"bargeIn":{"pauseAfterMs":120}}']
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONDITIONS, selectConditions } from './quality/conditions.js';
import { formatProblems, formatRows, formatTargets } from './quality/print.js';
import { ALL_MODES, EVENT_TYPES, runEvent, seedOf, writeJfkCuts, type Mode, type Outcome } from './quality/run-event.js';
import { checkTargets, rowsOf } from './quality/summary.js';

const USAGE = `usage: npm run bench:quality -- [options]
  --per-type N          events of each type (interrupt, backchannel, noise) per condition and mode (default 8)
  --modes LIST          comma-separated bargeIn.onSpeechStart modes: ${ALL_MODES.join(', ')} (default pause)
  --conditions LIST     comma-separated conditions (default all): ${CONDITIONS.map((c) => c.name).join(', ')}
  --override JSON       deep-merged over every benchmark agent, e.g. '{"bargeIn":{"pauseAfterMs":120}}'
  --details             also print every bad call (missed, false, dead air, line pauses) with the runtime's reason
  --json                print the figures as one JSON object instead of tables
`;

function parseArgs(argv: readonly string[]) {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const known = new Set(['--per-type', '--modes', '--conditions', '--override', '--details', '--json', '--help']);
  const unknown = argv.filter((a, i) => a.startsWith('--') && !known.has(a) && !(i > 0 && ['--per-type', '--modes', '--conditions', '--override'].includes(argv[i - 1]!)));
  if (unknown.length) throw new Error(`unknown option(s) ${unknown.join(' ')}`);
  const perType = Number(value('per-type') ?? 8);
  if (!Number.isInteger(perType) || perType < 1 || perType > 200) throw new Error(`--per-type takes a whole number from 1 to 200, got ${value('per-type')}`);
  const modes = (value('modes') ?? 'pause').split(',');
  const badModes = modes.filter((m) => !(ALL_MODES as readonly string[]).includes(m));
  if (badModes.length) throw new Error(`--modes takes a comma-separated list of ${ALL_MODES.join(', ')} (got "${badModes.join(',')}")`);
  const overrideText = value('override');
  let override: Record<string, unknown> | undefined;
  if (overrideText !== undefined) {
    try {
      override = JSON.parse(overrideText) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`--override must be a JSON object: ${(error as Error).message}`);
    }
    if (typeof override !== 'object' || override === null || Array.isArray(override)) throw new Error('--override must be a JSON object');
  }
  return { perType, modes: modes as Mode[], conditions: selectConditions(value('conditions')?.split(',')), override, json: argv.includes('--json'), details: argv.includes('--details'), help: argv.includes('--help') };
}

let options: ReturnType<typeof parseArgs>;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'va-quality-'));
const setup = { dir, jfk: await writeJfkCuts(dir), ...(options.override ? { override: options.override } : {}) };
const outcomes: Outcome[] = [];
const started = performance.now();
for (const mode of options.modes) {
  for (const condition of options.conditions) {
    const index = CONDITIONS.indexOf(condition);
    for (const type of EVENT_TYPES) {
      for (let i = 0; i < options.perType; i++) outcomes.push(await runEvent(condition, mode, type, seedOf(index, type, i), setup));
    }
    process.stderr.write(`${mode} ${condition.name} done (${outcomes.length} calls, ${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

const rows = rowsOf(outcomes, options.modes);
const targets = checkTargets(outcomes);
const wallSeconds = Math.round((performance.now() - started) / 1000);
if (options.json) {
  const bad = outcomes.filter((o) => o.problems.length || !o.fired).map(({ condition, mode, type, seed, fired, problems }) => ({ condition, mode, type, seed, fired, problems }));
  process.stdout.write(JSON.stringify({ perType: options.perType, calls: outcomes.length, wallSeconds, ...(options.override ? { override: options.override } : {}), rows, targets, ...(options.details ? { problems: bad } : {}) }) + '\n');
} else {
  process.stdout.write(`${outcomes.length} calls, ${options.perType} events of each type per condition and mode, ${wallSeconds} s${options.override ? `, override ${JSON.stringify(options.override)}` : ''}\n\n`);
  process.stdout.write(formatRows(rows) + '\n' + formatTargets(targets));
  if (options.details) process.stdout.write('\n' + formatProblems(outcomes));
}
