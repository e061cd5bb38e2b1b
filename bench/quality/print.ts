/** The `bench:quality` tables, as plain text (the same text goes into docs/quality-figures.md, in a code block). */
import type { Outcome } from './run-event.js';
import type { Row, TargetCheck } from './summary.js';

const ms = (v: number | undefined) => (v === undefined ? '-' : Number.isFinite(v) ? String(Math.round(v)) : 'never');
const cell = (text: string, width: number) => text.padStart(width);

/** The per-condition table: one line per condition and mode. */
export function formatRows(rows: readonly Row[]): string {
  const head = [
    'false barge-in % (bc/noise/echo+line) includes echo- and line-caused ones; missed %; reaction, false pause, pause and response in ms;',
    'false pause % = backchannel/noise events that paused + pauses with the caller silent, per 100 backchannel/noise events;',
    'response = caller speech end -> agent audio at the caller\'s ear (never answered: "never"); dead air = lines answered after 4 s or never.',
    '',
    `${'condition'.padEnd(17)}${'mode'.padEnd(9)}${cell('events i/b/n', 13)}${cell('false%', 8)}${cell('(b/n/e)', 10)}${cell('missed%', 9)}${cell('react p50/p95', 15)}${cell('fpause%', 9)}${cell('(line)', 7)}${cell('pause p95', 10)}${cell('resp p50/p95', 14)}${cell('dead air', 9)}${cell('failed', 7)}${cell('unfired', 8)}`,
  ];
  const lines = rows.map(({ condition, mode, figures: f }) =>
    [
      condition.padEnd(17),
      mode.padEnd(9),
      cell(`${f.events.interrupt}/${f.events.backchannel}/${f.events.noise}`, 13),
      cell(`${f.falseBargeInPct}`, 8),
      cell(`(${f.falseByCause.backchannel}/${f.falseByCause.noise}/${f.falseByCause.line})`, 10),
      cell(`${f.missedBargeInPct}`, 9),
      cell(`${ms(f.reactionMs.p50)}/${ms(f.reactionMs.p95)}`, 15),
      cell(`${f.falsePausePct}`, 9),
      cell(`(${f.linePauses})`, 7),
      cell(ms(f.pauseMs.p95), 10),
      cell(`${ms(f.responseMs.p50)}/${ms(f.responseMs.p95)}`, 14),
      cell(String(f.deadAirLines), 9),
      cell(String(f.failedRuns), 7),
      cell(String(f.neverFired), 8),
    ].join(''),
  );
  return [...head, ...lines].join('\n') + '\n';
}

/** The targets, each met or not met by how much, with the conditions that miss it. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  const out = ['targets (pause mode; ">=10dB" = every line at 10 dB SNR or better, or no noise; "5dB" = babble at 5 dB):'];
  for (const c of checks) {
    const unit = c.unit === 'turns' ? ' turns' : ` ${c.unit}`;
    const value = c.value === undefined ? 'no data' : `${c.unit === '%' ? c.value : ms(c.value)}${unit}`;
    const verdict = c.value === undefined ? 'NOT MEASURED' : c.met ? 'met' : `NOT MET by ${c.by}${unit}`;
    const worst = c.worst.length ? `  (worst: ${c.worst.slice(0, 6).join(', ')})` : '';
    out.push(`  ${c.group.padEnd(7)} ${c.name.padEnd(22)} ${value.padStart(12)}  target <= ${c.limit}${unit}: ${verdict}${worst}`);
  }
  return out.join('\n') + '\n';
}

/** Every bad event call, one line each: what went wrong and the runtime's reason (`--details`). */
export function formatProblems(outcomes: readonly Outcome[]): string {
  const out: string[] = [];
  for (const o of outcomes) {
    if (o.problems.length === 0 && o.fired) continue;
    const problems = o.fired ? o.problems : ['event never fired', ...o.problems];
    out.push(`${o.condition} ${o.mode} ${o.type} seed ${o.seed}: ${problems.join(' | ')}`);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
