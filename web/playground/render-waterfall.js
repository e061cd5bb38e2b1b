import { formatMs, h, replaceChildren } from './dom.js';

/*
 * The per-turn latency waterfall: for each caller turn, from the end of their speech, the steps until the
 * agent's first frame went out (endpointing, then the model's first token, the voice's first audio, the first
 * frame), with the recogniser's final transcript as a tick, and the total in red past one second (what a
 * caller notices). Under it, p50/p95 of each step over the call so far, from `callView`'s running statistics.
 */

/** The steps drawn one after the other on a turn's bar, each starting where the one before ended. */
const STEPS = [
  { span: 'endpointingMs', label: 'endpointing', short: 'endpoint' },
  { span: 'llmFirstTokenMs', label: 'LLM first token', short: 'LLM' },
  { span: 'ttsFirstAudioMs', label: 'TTS first audio', short: 'TTS' },
  { span: 'firstFrameOutMs', label: 'first frame out', short: 'frame' },
];
/** A reply slower than this feels slow on a phone: drawn in red. */
const SLOW_MS = 1000;
const STAT_LABELS = { endpointingMs: 'endpointing', sttFinalMs: 'STT final', llmFirstTokenMs: 'LLM first token', ttsFirstAudioMs: 'TTS first audio', firstFrameOutMs: 'first frame', responseMs: 'response (total)' };

/** Draws the waterfall of `view.waterfall` into `container` when it changed. */
export function createWaterfallPane(container) {
  let shown;
  return {
    render(waterfall) {
      if (waterfall === shown) return;
      shown = waterfall;
      if (waterfall.turns.length === 0) return;
      const scaleMs = Math.max(SLOW_MS * 1.2, ...waterfall.turns.map((turn) => turn.spans.responseMs ?? sumOfSteps(turn.spans)));
      const rows = waterfall.turns.slice(-8).map((turn) => turnRow(turn, scaleMs));
      replaceChildren(container, h('ol', { class: 'turns' }, ...rows), legend(), statsTable(waterfall.stats));
    },
  };
}

function sumOfSteps(spans) {
  return STEPS.reduce((sum, step) => sum + (spans[step.span] ?? 0), 0);
}

function turnRow(turn, scaleMs) {
  const { spans } = turn;
  const total = spans.responseMs;
  const track = h('div', { class: 'track', title: 'from the end of caller speech' });
  let at = 0;
  for (const step of STEPS) {
    const ms = spans[step.span];
    if (ms === undefined) continue;
    track.append(h('span', { class: `step ${step.short}`, title: `${step.label}: ${formatMs(ms)}`, style: { left: pct(at, scaleMs), width: pct(Math.max(ms, scaleMs / 400), scaleMs) } }));
    at += ms;
  }
  if (spans.sttFinalMs !== undefined) track.append(h('span', { class: 'tick stt', title: `STT final transcript: ${formatMs(spans.sttFinalMs)}`, style: { left: pct(spans.sttFinalMs, scaleMs) } }));
  track.append(h('span', { class: 'tick limit', title: '1 second', style: { left: pct(SLOW_MS, scaleMs) } }));
  const slow = total !== undefined && total > SLOW_MS;
  const parts = STEPS.filter((step) => spans[step.span] !== undefined).map((step) => `${step.short} ${Math.round(spans[step.span])}`);
  if (spans.sttFinalMs !== undefined) parts.splice(1, 0, `STT ${Math.round(spans.sttFinalMs)}`);
  return h(
    'li',
    { class: 'turn', 'data-index': turn.index },
    h(
      'div',
      { class: 'turn-head' },
      h('span', { class: 'turn-index' }, `#${turn.index}`),
      h('span', { class: 'turn-text', title: turn.userText }, turn.userText || '(no words)'),
      h('span', { class: `total${slow ? ' slow' : ''}`, title: 'end of caller speech to the first agent frame' }, total === undefined ? (turn.outcome ? '–' : '…') : formatMs(total)),
    ),
    track,
    h('div', { class: 'turn-foot' }, parts.join(' · ') || 'timings come when the reply is over', turn.outcome ? h('span', { class: `outcome ${turn.outcome}` }, turn.outcome) : undefined),
  );
}

function legend() {
  return h('div', { class: 'steps-legend' }, ...STEPS.map((step) => h('span', { class: `key ${step.short}` }, step.label)), h('span', { class: 'key stt' }, 'STT final'));
}

function statsTable(stats) {
  const rows = Object.entries(STAT_LABELS)
    .filter(([span]) => stats[span]?.count > 0)
    .map(([span, label]) => h('tr', {}, h('th', {}, label), h('td', {}, formatMs(stats[span].p50Ms)), h('td', {}, formatMs(stats[span].p95Ms)), h('td', {}, String(stats[span].count))));
  if (rows.length === 0) return undefined;
  return h('table', { class: 'stats' }, h('thead', {}, h('tr', {}, h('th', {}, 'so far'), h('th', {}, 'p50'), h('th', {}, 'p95'), h('th', {}, 'turns'))), h('tbody', {}, ...rows));
}

function pct(ms, scaleMs) {
  return `${Math.min(100, (Math.max(0, ms) / scaleMs) * 100).toFixed(2)}%`;
}
