import type { TurnSpans } from '../call/call-record.js';
import { percentile } from './measure.js';
import type { ScenarioResult } from './run-scenario.js';

const SPANS: ReadonlyArray<[keyof TurnSpans, string]> = [
  ['endpointingMs', 'endpoint'],
  ['sttFinalMs', 'stt final'],
  ['llmFirstTokenMs', 'llm 1st token'],
  ['ttsFirstAudioMs', 'tts 1st audio'],
  ['firstFrameOutMs', 'frame out'],
  ['responseMs', 'total'],
];

/** A readable report of one scenario: verdict, checks, per-turn latency waterfall, barge-ins. */
export function formatScenarioReport(result: ScenarioResult): string {
  const lines: string[] = [];
  const verdict = result.passed ? 'PASS' : 'FAIL';
  lines.push(`${verdict}  ${result.name}  (${result.agent}, ${(result.callMs / 1000).toFixed(1)} s of call in ${(result.wallMs / 1000).toFixed(1)} s)`);
  for (const check of result.checks) lines.push(`  ${check.passed ? '✓' : '✗'} ${check.name}  — ${check.detail}`);
  const turns = result.measurements.turns;
  if (turns.length) {
    lines.push('  turns (ms)        ' + SPANS.map(([, label]) => label.padStart(15)).join(''));
    for (const t of turns) {
      const cells = SPANS.map(([key]) => (t.spans[key] === undefined ? '-' : String(Math.round(t.spans[key]!))).padStart(15)).join('');
      lines.push(`  #${String(t.index).padEnd(3)}${truncate(t.userText, 13).padEnd(14)}${cells}  ${t.outcome ?? ''}`);
    }
  }
  for (const b of result.measurements.bargeIns) {
    const reaction = b.reactionHeardMs === undefined ? '' : `, agent stopped ${b.reactionHeardMs} ms after onset (as heard)`;
    const cause = b.causeText ? `${b.cause} "${b.causeText}"` : b.cause;
    const heard = b.heardText !== undefined ? `; caller heard "${truncate(b.heardText, 50)}"` : '';
    lines.push(`  barge-in at ${b.onsetMs} ms: ${cause} -> ${b.kind}${reaction}${heard}`);
  }
  const { falseBargeIns, missedBargeIns, responseLatenciesMs } = result.measurements;
  const p50 = percentile(responseLatenciesMs, 0.5);
  const p95 = percentile(responseLatenciesMs, 0.95);
  lines.push(`  false barge-ins ${falseBargeIns}, missed barge-ins ${missedBargeIns}${p50 !== undefined ? `, response latency p50 ${p50} ms p95 ${p95} ms` : ''}`);
  for (const f of result.record.failures) lines.push(`  failure at ${Math.round(f.atMs)} ms in ${f.source}: ${f.message}`);
  if (result.error) lines.push(`  error: ${result.error}`);
  return lines.join('\n') + '\n';
}

/** Summary line for a batch. */
export function formatSummary(results: readonly ScenarioResult[]): string {
  const failed = results.filter((r) => !r.passed).length;
  const latencies = results.flatMap((r) => r.measurements.responseLatenciesMs);
  const p95 = percentile(latencies, 0.95);
  const falses = results.reduce((n, r) => n + r.measurements.falseBargeIns, 0);
  const missed = results.reduce((n, r) => n + r.measurements.missedBargeIns, 0);
  return `${results.length - failed} passed, ${failed} failed` + `  (false barge-ins ${falses}, missed ${missed}${p95 !== undefined ? `, response p95 ${p95} ms` : ''})\n`;
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
