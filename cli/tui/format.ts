/*
 * Small text helpers shared by the TUI panes and the plain lines: call times, latencies and level meters as
 * text, so the two views say the same thing the same way.
 */
import type { SpanName } from '../../runtime/index.js';

/** Short names of the latency spans, in waterfall order. */
export const SPAN_LABELS: Readonly<Partial<Record<SpanName, string>>> = {
  endpointingMs: 'endpoint',
  sttFinalMs: 'stt',
  llmFirstTokenMs: 'llm 1st',
  llmRequestToFirstTokenMs: 'llm req',
  ttsFirstAudioMs: 'tts 1st',
  firstFrameOutMs: 'frame',
  responseMs: 'total',
};

/** A turn whose caller waits longer than this for the answer is shown in red, ms. */
export const SLOW_TURN_MS = 1000;

/** Call time as seconds with one decimal: `12.3s`. */
export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** Call time as `mm:ss.t` for the status bar. */
export function clockText(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const minutes = Math.floor(total / 60);
  return `${String(minutes).padStart(2, '0')}:${(total - minutes * 60).toFixed(1).padStart(4, '0')}`;
}

/** A latency in ms, or `-` when not measured. */
export function msText(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? '-' : String(Math.round(ms));
}

/** Lowest level a meter shows, dBFS: quieter is empty. */
const FLOOR_DB = -60;

/** A level meter `width` cells wide: full at 0 dBFS, empty at -60 dBFS and below. */
export function meterText(db: number, width: number): string {
  const fraction = Math.max(0, Math.min(1, (db - FLOOR_DB) / -FLOOR_DB));
  const filled = Math.round(fraction * width);
  return '█'.repeat(filled) + '░'.repeat(Math.max(0, width - filled));
}

const SPARKS = ' ▁▂▃▄▅▆▇█';

/** Levels (dBFS) as a one-line sparkline, one cell per sample. */
export function sparkline(levels: readonly number[]): string {
  let out = '';
  for (const db of levels) {
    const fraction = Math.max(0, Math.min(1, (db - FLOOR_DB) / -FLOOR_DB));
    out += SPARKS[Math.round(fraction * (SPARKS.length - 1))];
  }
  return out;
}

/** A level as text: `-23 dB`, or `silent` at the floor. */
export function dbText(db: number): string {
  return db <= -99 ? 'silent' : `${Math.round(db)} dB`;
}

/** `text` cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Marks where the agent was cut off; the unheard rest follows it, struck out. */
export const CUT_MARK = '✂';
