/*
 * bench:serve's figures and how they are printed: one row per N, the leak check, the largest N whose jitter
 * p99 stays under 10 ms, and the CPU breakdown beside the measured total. `--json` prints the same as one object.
 */
import type { BreakdownPart } from './serve-breakdown.js';
import type { PhaseResult } from './serve-callers.js';
import type { RecordFigures } from './serve-records.js';
import type { ProviderMode } from './serve-server.js';
import type { Summary } from './stats.js';

/** What one N measured. */
export interface PhaseFigures {
  readonly calls: number;
  readonly callers: PhaseResult;
  readonly reactionMs: Summary;
  readonly responseMinusConfiguredMs: Summary;
  /** Each worker's event-loop delay over the phase (bench/serve-worker-probe.ts), ms. */
  readonly workerLag: ReadonlyArray<{ readonly worker: string; readonly p99Ms: number; readonly maxMs: number }>;
  /** The same from /metrics: prom-client AVERAGES the p99 gauge over workers; NaN when /metrics does not answer. */
  readonly metricsLagP99Ms: number;
  readonly lateFrames: number;
  readonly serverCpuMs: number;
  readonly workerCpuMs: readonly number[];
  readonly cpuMsPerCallSecond: number;
  /** Over the steady window (greetings heard, no hang-ups yet), ms per call-second; NaN without one. */
  readonly steadyCpuMsPerCallSecond: number;
  /** The same, the workers' main threads (event loops) only. */
  readonly steadyMainCpuMsPerCallSecond: number;
  /** The phase's CPU beyond the steady rate, per call (setup and teardown), ms. */
  readonly setupCpuMsPerCall: number;
  readonly steadySeconds: number;
  readonly rssPerCallBytes: number;
  readonly peakRssBytes: number;
  /** The machine's 1-minute load average before and after the phase (the machine is shared). */
  readonly loadAverage: readonly [number, number];
  readonly records: RecordFigures;
}

/** The leak check: waves of short calls, sampled after quiet periods. */
export interface LeakResult {
  readonly samples: ReadonlyArray<{ readonly completed: number; readonly rssBytes: number; readonly heapBytes: number }>;
  /** Least-squares slope over the samples, bytes per 1,000 completed calls. */
  readonly rssGrowthPer1000Bytes: number;
  readonly heapGrowthPer1000Bytes: number;
}

/** Everything bench:serve reports. */
export interface Report {
  /** False when the server's /metrics timed out (its figures are then missing). */
  readonly metricsAnswer: boolean;
  readonly mode: ProviderMode;
  readonly workers: number;
  readonly holdMs: number;
  readonly agent: string;
  readonly pauseAfterMs: number;
  readonly configured: { readonly endpointingMs: number; readonly transcriptionMs: number; readonly firstTokenMs: number; readonly firstAudioMs: number };
  /** What speaks: `mock` (ElevenLabs mock) or `espeak`. */
  readonly voice: string;
  readonly phases: readonly PhaseFigures[];
  readonly leak?: LeakResult;
  readonly breakdown?: readonly BreakdownPart[];
  readonly mockCpuMs?: number;
  readonly wallSeconds: number;
  readonly dir: string;
}

const MB = 1024 * 1024;
const fixed = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const pair = (a: number, b: number, digits = 1): string => `${fixed(a, digits)}/${fixed(b, digits)}`;

/** The largest N such that it and every smaller N run had jitter p99 under `limitMs`. */
export function largestSmoothN(phases: readonly PhaseFigures[], limitMs = 10): number | undefined {
  let best: number | undefined;
  for (const phase of [...phases].sort((a, b) => a.calls - b.calls)) {
    if (!(phase.callers.jitterMs.p99 < limitMs)) break;
    best = phase.calls;
  }
  return best;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}

function phaseRows(report: Report): string[][] {
  const header = ['N', 'jitter p50/p99 ms', 'reaction p50/p95 ms', 'resp-cfg p95 ms', 'loop lag p99 per worker ms', 'CPU ms/call-s all/steady/main', 'CPU ms/call setup', 'RSS/call MB', 'greeting wait p50/p95 ms', 'late frames', 'ok calls'];
  return [
    header,
    ...report.phases.map((p) => {
      const c = p.callers;
      const ok = c.calls - c.connectFailures - c.counts['no-greeting'];
      return [
        String(p.calls),
        pair(c.jitterMs.p50, c.jitterMs.p99, 2),
        pair(p.reactionMs.p50, p.reactionMs.p95, 0),
        report.mode === 'mocks' ? fixed(p.responseMinusConfiguredMs.p95, 0) : 'n/a',
        p.workerLag.map((w) => fixed(w.p99Ms, 0)).join('/') || '-',
        `${pair(p.cpuMsPerCallSecond, p.steadyCpuMsPerCallSecond, 1)}/${fixed(p.steadyMainCpuMsPerCallSecond, 1)}`,
        fixed(p.setupCpuMsPerCall, 0),
        fixed(p.rssPerCallBytes / MB, 2),
        pair(c.greetingWaitMs.p50, c.greetingWaitMs.p95, 0),
        Number.isFinite(p.lateFrames) ? String(p.lateFrames) : '-',
        `${ok}/${c.calls}`,
      ];
    }),
  ];
}

function phaseNotes(report: Report): string[] {
  return report.phases.map((p) => {
    const c = p.callers;
    const r = p.records;
    const counts = Object.entries(c.counts).filter(([k, v]) => v > 0 && !['media', 'marks', 'clears'].includes(k)).map(([k, v]) => `${k} ${v}`);
    const spans = r.answeredTurns > 0 ? `; server spans p95: endpointing ${fixed(r.spans.endpointingMs.p95, 0)}, stt final ${fixed(r.spans.sttFinalMs.p95, 0)}, llm ${fixed(r.spans.llmFirstTokenMs.p95, 0)}, tts ${fixed(r.spans.ttsFirstAudioMs.p95, 0)}, response ${fixed(r.spans.responseMs.p95, 0)} ms` : '';
    return (
      `  N=${p.calls}: load average ${pair(p.loadAverage[0], p.loadAverage[1], 1)}; ${c.reactionMs.length} reactions (${c.reactionMs.filter((ms) => ms > 200).length} over 200 ms), ${c.responseMs.length} responses, ${c.jitterMs.n} frame gaps (max ${fixed(c.jitterMs.max, 0)} ms); ` +
      `records ${r.records}, answered turns ${r.answeredTurns}, barge-ins ${JSON.stringify(r.bargeIns)}, server reaction p50/p95 ${pair(r.serverReactionMs.p50, r.serverReactionMs.p95, 0)} ms, failures ${r.failures}${spans}; ` +
      `loop lag max per worker ${p.workerLag.map((w) => fixed(w.maxMs, 0)).join('/')} ms (/metrics mean p99 ${fixed(p.metricsLagP99Ms, 0)}); ` +
      `CPU by worker ${p.workerCpuMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(' + ')} of ${(p.serverCpuMs / 1000).toFixed(1)} s over ${fixed(c.callSeconds, 0)} call-s; ` +
      `callers: ${fixed(c.callersCpuMs / c.wallMs * 100, 0)}% of a core, loop p99 ${fixed(c.callersLoopP99Ms, 0)} ms, send lag p99 ${fixed(c.sendLagMs.p99, 1)} ms` +
      (counts.length > 0 ? `; ${counts.join(', ')}` : '')
    );
  });
}

function breakdownRows(report: Report): string[][] {
  const parts = report.breakdown ?? [];
  const first = report.phases[0]!;
  const steady = Number.isFinite(first.steadyCpuMsPerCallSecond);
  const measured = (steady ? first.steadyCpuMsPerCallSecond : first.cpuMsPerCallSecond) * 1000;
  const sum = parts.reduce((a, p) => a + p.usPerCallSecond, 0);
  const share = (us: number) => `${fixed((us / measured) * 100, 0)}%`;
  return [
    ['part', 'µs per call-second', `share of measured (N=${first.calls})`, 'how'],
    ...[...parts].sort((a, b) => b.usPerCallSecond - a.usPerCallSecond).map((p) => [p.part, fixed(p.usPerCallSecond, 0), share(p.usPerCallSecond), p.detail]),
    ['sum of the parts', fixed(sum, 0), share(sum), ''],
    ['rest', fixed(measured - sum, 0), share(measured - sum), `measured minus the parts: ${report.mode === 'mocks' ? 'TLS to the recogniser, ' : ''}GC, timers, logs, records, contention`],
    ['measured server CPU', fixed(measured, 0), '100%', `utime+stime of primary and workers / call-seconds, ${steady ? 'steady window' : 'whole phase'} at N=${first.calls}`],
  ];
}

/** Prints the report as tables (or one JSON object). */
export function printReport(report: Report, json: boolean): void {
  if (json) return void process.stdout.write(JSON.stringify({ ...report, largestNJitterP99Under10Ms: largestSmoothN(report.phases) ?? null }) + '\n');
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const { configured } = report;
  out();
  const providers = report.mode === 'mocks' ? `cascade on mock providers, ${report.voice === 'mock' ? 'ElevenLabs mock voice' : 'eSpeak voice'}` : '--offline';
  out(`voiceagent serve --workers ${report.workers}, agent ${report.agent} (${providers}), callers hang up ${report.holdMs / 1000} s after the greeting began`);
  out(table(phaseRows(report)));
  out();
  out(`reaction target: p95 < pauseAfterMs ${report.pauseAfterMs} + 20 = ${report.pauseAfterMs + 20} ms (onset = first speech chunk due minus its 20 ms)`);
  if (report.mode === 'mocks') {
    const voice = report.voice === 'mock' ? ` + first audio ${configured.firstAudioMs}` : " (the eSpeak voice's first audio is compute: left in)";
    out(`resp-cfg = end of caller speech -> first reply frame, minus endpointing ${configured.endpointingMs} + transcription ${configured.transcriptionMs} + first token ${configured.firstTokenMs}${voice} ms; p50 ${report.phases.map((p) => fixed(p.responseMinusConfiguredMs.p50, 0)).join('/')} ms`);
  }
  else out('resp-cfg: not measurable with --offline over Twilio (the simulated recogniser hears no words: no turn is answered)');
  for (const note of phaseNotes(report)) out(note);
  if (!report.metricsAnswer) out('  /metrics gave no samples (the cluster sum timed out after 5 s): late frames and its lag gauge are missing; loop lag comes from the bench probe');
  if (report.mockCpuMs !== undefined) out(`  transcription mock process: ${(report.mockCpuMs / 1000).toFixed(1)} s CPU over the run`);
  out();
  const smooth = largestSmoothN(report.phases);
  out(`largest N with outbound jitter p99 < 10 ms: ${smooth ?? `none of N = ${report.phases.map((p) => p.calls).join(', ')}`}`);
  if (report.leak) {
    const { leak } = report;
    out(
      `leak check (after a forced GC in each worker): ${leak.samples.at(-1)!.completed} short calls in waves; growth per 1,000 completed calls: RSS ${fixed(leak.rssGrowthPer1000Bytes / MB, 1)} MB, heap ${fixed(leak.heapGrowthPer1000Bytes / MB, 1)} MB ` +
        `(RSS MB after each wave: ${leak.samples.map((s) => fixed(s.rssBytes / MB, 0)).join(' -> ')}; heap MB: ${leak.samples.map((s) => fixed(s.heapBytes / MB, 0)).join(' -> ')})`,
    );
  }
  if (report.breakdown) {
    out();
    out('server CPU per call-second, by part (in-process micro-benchmarks on the same frame streams):');
    out(table(breakdownRows(report)));
  }
  out();
  out(`${report.wallSeconds.toFixed(0)} s in all`);
}
