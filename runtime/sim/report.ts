import { describeAnswer, responsePercentile, type MeasuredTurn } from './measure.js';
import type { ScenarioResult } from './run-scenario.js';

/**
 * The waterfall's columns. Endpoint, stt final, playout and heard count from the caller's speech end as they
 * spoke it and end at what they heard (the runtime's own spans start from its idea of the speech end, which
 * noise can put seconds off); the model and voice columns are the runtime's. Along a turn, endpoint + llm 1st
 * token + tts 1st audio + playout = heard.
 */
const COLUMNS: ReadonlyArray<readonly [label: string, value: (t: MeasuredTurn) => number | undefined]> = [
  ['endpoint', (t) => t.heard.endpointingMs],
  ['stt final', (t) => t.heard.sttFinalMs],
  ['llm 1st token', (t) => t.spans.llmFirstTokenMs],
  ['model ttft', (t) => t.spans.llmRequestToFirstTokenMs],
  ['tts 1st audio', (t) => t.spans.ttsFirstAudioMs],
  ['playout', (t) => t.heard.playoutMs],
  ['heard', (t) => t.heard.responseMs],
];

/** A latency for a summary: `Infinity` (a line never answered) reads "never". */
const ms = (value: number | undefined): string => (value === undefined ? '-' : Number.isFinite(value) ? `${value} ms` : 'never');

/** A readable report of one scenario: verdict, checks, per-turn latency waterfall, barge-ins. */
export function formatScenarioReport(result: ScenarioResult): string {
  const lines: string[] = [];
  const verdict = result.passed ? 'PASS' : 'FAIL';
  lines.push(`${verdict}  ${result.name}  (${result.agent}, ${(result.callMs / 1000).toFixed(1)} s of call in ${(result.wallMs / 1000).toFixed(1)} s)`);
  for (const check of result.checks) lines.push(`  ${check.passed ? '✓' : '✗'} ${check.name}  — ${check.detail}`);
  const turns = result.measurements.turns;
  if (turns.length) {
    lines.push('  turns (ms)        ' + COLUMNS.map(([label]) => label.padStart(15)).join(''));
    for (const t of turns) {
      const cells = COLUMNS.map(([, value]) => {
        const v = value(t);
        return (v === undefined ? '-' : String(Math.round(v))).padStart(15);
      }).join('');
      lines.push(`  #${String(t.index).padEnd(3)}${truncate(t.userText, 13).padEnd(14)}${cells}  ${t.outcome ?? ''}`);
    }
  }
  for (const line of result.measurements.deadAirLines) {
    lines.push(`  dead air: "${truncate(line.text, 50)}" (step ${line.step + 1}, ended at ${Math.round(line.speechEndMs)} ms): ${describeAnswer(line)}`);
  }
  for (const b of result.measurements.bargeIns) {
    const reaction = b.reactionHeardMs === undefined ? '' : `, agent stopped ${b.reactionHeardMs} ms after onset (as heard)`;
    const cause = b.causeText ? `${b.cause} "${b.causeText}"` : b.cause;
    const heard = b.heardText !== undefined ? `; caller heard "${truncate(b.heardText, 50)}"` : '';
    lines.push(`  barge-in at ${b.onsetMs} ms: ${cause} -> ${b.kind}${reaction}${heard}`);
  }
  const m = result.measurements;
  const p50 = responsePercentile(m, 0.5);
  const p95 = responsePercentile(m, 0.95);
  const latency = p50 !== undefined ? `, response latency as heard p50 ${ms(p50)} p95 ${ms(p95)}` : '';
  lines.push(`  false barge-ins ${m.falseBargeIns}, missed barge-ins ${m.missedBargeIns}${latency}, dead-air lines ${m.deadAirLines.length}`);
  for (const f of result.record.failures) lines.push(`  failure at ${Math.round(f.atMs)} ms in ${f.source}: ${f.message}`);
  if (result.error) lines.push(`  error: ${result.error}`);
  return lines.join('\n') + '\n';
}

/** Summary line for a batch. */
export function formatSummary(results: readonly ScenarioResult[]): string {
  const failed = results.filter((r) => !r.passed).length;
  const p95 = responsePercentile({ lines: results.flatMap((r) => r.measurements.lines) }, 0.95);
  const falses = results.reduce((n, r) => n + r.measurements.falseBargeIns, 0);
  const missed = results.reduce((n, r) => n + r.measurements.missedBargeIns, 0);
  const deadAir = results.reduce((n, r) => n + r.measurements.deadAirLines.length, 0);
  return `${results.length - failed} passed, ${failed} failed` + `  (false barge-ins ${falses}, missed ${missed}${p95 !== undefined ? `, response as heard p95 ${ms(p95)}` : ''}, dead-air lines ${deadAir})\n`;
}

/** JUnit XML: one testsuite, one testcase per scenario, a failure element listing the failed checks. */
export function formatJUnit(results: readonly ScenarioResult[]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const failures = results.filter((r) => !r.passed).length;
  const time = (results.reduce((n, r) => n + r.wallMs, 0) / 1000).toFixed(3);
  const cases = results.map((r) => {
    const failed = r.checks.filter((c) => !c.passed);
    const body = failed.length ? `\n    <failure message="${esc(failed.map((c) => c.name).join('; '))}">${esc(failed.map((c) => `${c.name}: ${c.detail}`).join('\n'))}</failure>\n  ` : '';
    return `  <testcase classname="${esc(r.agent)}" name="${esc(r.name)}" file="${esc(r.file)}" time="${(r.wallMs / 1000).toFixed(3)}">${body}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="voiceagent" tests="${results.length}" failures="${failures}" time="${time}">\n${cases.join('\n')}\n</testsuite>\n`;
}

function truncate(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}
