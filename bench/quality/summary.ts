/**
 * `bench:quality` figures: per condition and mode, and over the target groups of issue 18 (pause mode, every
 * line at 10 dB SNR or better; the 5 dB lines), each target marked met or not met by how much.
 */
import { percentile } from '../../runtime/sim/index.js';
import { CONDITIONS, snrGroup, type SnrGroup } from './conditions.js';
import type { Mode, Outcome } from './run-event.js';

/** Figures of a set of event calls. */
export interface Figures {
  /** Events that fired, per type. */
  readonly events: { readonly interrupt: number; readonly backchannel: number; readonly noise: number };
  readonly neverFired: number;
  readonly failedRuns: number;
  /**
   * False barge-ins per 100 backchannel and noise events: events that cut the agent off, plus confirmed
   * interruptions while the caller was silent (echo or line noise) in any call of the set.
   */
  readonly falseBargeInPct: number;
  /** The false barge-ins by cause: backchannel events, noise events, echo or line noise. */
  readonly falseByCause: { readonly backchannel: number; readonly noise: number; readonly line: number };
  /** Real interruptions (that fired) that never stopped the agent, %. */
  readonly missedBargeInPct: number;
  readonly missed: number;
  /** Caller onset -> agent audio stopped at the caller's ear, ms. */
  readonly reactionMs: { readonly n: number; readonly p50?: number; readonly p95?: number };
  /** Backchannel and noise events that paused playout, plus pauses while the caller was silent, per 100 of those events. */
  readonly falsePausePct: number;
  /** Pauses while the caller was silent (echo, line noise), in all calls. */
  readonly linePauses: number;
  /** Paused -> resumed of every pause that resumed, ms. */
  readonly pauseMs: { readonly n: number; readonly p95?: number };
  /** Response latency as heard over every line that waited for an answer (never answered: `Infinity`). */
  readonly responseMs: { readonly n: number; readonly p50?: number; readonly p95?: number };
  readonly deadAirLines: number;
}

const pct = (n: number, d: number) => (d ? Math.round((1000 * n) / d) / 10 : 0);

/** The figures of `all` (one mode). Events that never fired are counted apart, never as a success. */
export function figuresOf(all: readonly Outcome[]): Figures {
  const of = (type: Outcome['type']) => all.filter((o) => o.type === type && o.fired && o.error === undefined);
  const interrupts = of('interrupt');
  const backchannels = of('backchannel');
  const noises = of('noise');
  const others = [...backchannels, ...noises];
  const falseByCause = {
    backchannel: backchannels.filter((o) => o.confirmed).length,
    noise: noises.filter((o) => o.confirmed).length,
    line: all.reduce((n, o) => n + o.lineFalse, 0),
  };
  const linePauses = all.reduce((n, o) => n + o.linePauses, 0);
  const reactions = interrupts.flatMap((o) => (o.reactionMs === undefined ? [] : [o.reactionMs]));
  const pauses = all.flatMap((o) => o.pausesMs);
  const waited = all.flatMap((o) => o.waitedMs);
  const missed = interrupts.filter((o) => !o.confirmed).length;
  return {
    events: { interrupt: interrupts.length, backchannel: backchannels.length, noise: noises.length },
    neverFired: all.filter((o) => !o.fired).length,
    failedRuns: all.filter((o) => o.error !== undefined).length,
    falseBargeInPct: pct(falseByCause.backchannel + falseByCause.noise + falseByCause.line, others.length),
    falseByCause,
    missedBargeInPct: pct(missed, interrupts.length),
    missed,
    reactionMs: { n: reactions.length, p50: percentile(reactions, 0.5), p95: percentile(reactions, 0.95) },
    falsePausePct: pct(others.filter((o) => o.paused).length + linePauses, others.length),
    linePauses,
    pauseMs: { n: pauses.length, p95: percentile(pauses, 0.95) },
    responseMs: { n: waited.length, p50: percentile(waited, 0.5), p95: percentile(waited, 0.95) },
    deadAirLines: all.reduce((n, o) => n + o.deadAir, 0),
  };
}

/** One row of the table: a condition in a mode. */
export interface Row {
  readonly condition: string;
  readonly description: string;
  readonly group: SnrGroup;
  readonly mode: Mode;
  readonly figures: Figures;
}

/** Rows per condition (in `CONDITIONS` order) and mode, for the conditions that ran. */
export function rowsOf(outcomes: readonly Outcome[], modes: readonly Mode[]): Row[] {
  const rows: Row[] = [];
  for (const mode of modes) {
    for (const condition of CONDITIONS) {
      const all = outcomes.filter((o) => o.mode === mode && o.condition === condition.name);
      if (all.length) rows.push({ condition: condition.name, description: condition.description, group: snrGroup(condition), mode, figures: figuresOf(all) });
    }
  }
  return rows;
}

/** One target of the issue, checked on the pause-mode figures of a group of lines. */
export interface TargetCheck {
  readonly group: SnrGroup;
  readonly name: string;
  /** The measured value (a percentage, ms or a count). */
  readonly value: number | undefined;
  readonly limit: number;
  readonly unit: '%' | 'ms' | 'turns';
  readonly met: boolean;
  /** How far past the limit, in `unit` (0 when met). */
  readonly by: number;
  /** The conditions of the group that miss this target on their own, worst first. */
  readonly worst: readonly string[];
}

type Metric = (f: Figures) => number | undefined;
const TARGETS: ReadonlyArray<{ group: SnrGroup; name: string; metric: Metric; limit: number; unit: TargetCheck['unit'] }> = [
  { group: '>=10dB', name: 'false barge-in', metric: (f) => f.falseBargeInPct, limit: 1, unit: '%' },
  { group: '>=10dB', name: 'missed barge-in', metric: (f) => f.missedBargeInPct, limit: 1, unit: '%' },
  { group: '>=10dB', name: 'reaction as heard p95', metric: (f) => f.reactionMs.p95, limit: 200, unit: 'ms' },
  { group: '>=10dB', name: 'dead-air turns', metric: (f) => f.deadAirLines, limit: 0, unit: 'turns' },
  { group: '5dB', name: 'dead-air turns', metric: (f) => f.deadAirLines, limit: 0, unit: 'turns' },
  { group: '5dB', name: 'missed barge-in', metric: (f) => f.missedBargeInPct, limit: 3, unit: '%' },
];

/** The issue's targets over the pause-mode outcomes of each group that ran. */
export function checkTargets(outcomes: readonly Outcome[]): TargetCheck[] {
  const pause = outcomes.filter((o) => o.mode === 'pause');
  const groupOf = (o: Outcome) => snrGroup(CONDITIONS.find((c) => c.name === o.condition)!);
  const rows = rowsOf(pause, ['pause']);
  const checks: TargetCheck[] = [];
  for (const target of TARGETS) {
    const inGroup = pause.filter((o) => groupOf(o) === target.group);
    if (inGroup.length === 0) continue;
    const value = target.metric(figuresOf(inGroup));
    const over = (v: number | undefined) => (v === undefined ? 0 : Math.max(0, v - target.limit));
    const worst = rows
      .filter((r) => r.group === target.group && over(target.metric(r.figures)) > 0)
      .sort((a, b) => over(target.metric(b.figures)) - over(target.metric(a.figures)))
      .map((r) => `${r.condition} ${target.metric(r.figures)}${target.unit === 'turns' ? '' : ` ${target.unit}`}`);
    const by = Math.round(over(value) * 10) / 10;
    checks.push({ group: target.group, name: target.name, value, limit: target.limit, unit: target.unit, met: value !== undefined && by === 0, by, worst });
  }
  return checks;
}
