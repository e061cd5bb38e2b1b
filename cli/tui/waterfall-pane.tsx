import { Box, Text } from 'ink';
import { memo } from 'react';
import { SPAN_NAMES, type CallView, type SpanName, type TurnRow } from '../../runtime/index.js';
import { clip, msText, SLOW_TURN_MS, SPAN_LABELS } from './format.js';

/** Width of each latency column. */
const COL = 9;
/** The steps drawn as bars (the total is the row's length). */
const STEPS: readonly SpanName[] = SPAN_NAMES.filter((name) => name !== 'responseMs');
const STEP_COLORS: Readonly<Record<string, string>> = { endpointingMs: 'gray', sttFinalMs: 'cyan', llmFirstTokenMs: 'yellow', ttsFirstAudioMs: 'magenta', firstFrameOutMs: 'green' };
/** Milliseconds one bar cell stands for. */
const MS_PER_CELL = 100;

function cells(row: TurnRow): string {
  return SPAN_NAMES.map((name) => msText(row.spans[name]).padStart(COL)).join('');
}

/** The steps of a turn one after another, one cell per 100 ms, each its colour: where the wait went. */
function Bar({ row, width }: { readonly row: TurnRow; readonly width: number }) {
  let left = width;
  return (
    <>
      {STEPS.map((name) => {
        const ms = row.spans[name];
        if (ms === undefined || left <= 0) return null;
        const n = Math.min(left, Math.max(ms > 0 ? 1 : 0, Math.round(ms / MS_PER_CELL)));
        left -= n;
        return (
          <Text key={name} color={STEP_COLORS[name]}>
            {'█'.repeat(n)}
          </Text>
        );
      })}
    </>
  );
}

/**
 * The per-turn latency waterfall: each turn's steps (endpointing, STT final, LLM first token, TTS first audio,
 * first frame out) and the total the caller waited, in ms, as numbers and as a bar; p50 and p95 so far below.
 * A turn that kept the caller waiting more than a second is red.
 */
function WaterfallPaneView(props: { readonly view: CallView; readonly maxTurns: number; readonly width: number }) {
  const { turns, stats } = props.view.waterfall;
  const shown = turns.slice(-Math.max(1, props.maxTurns));
  const barWidth = Math.max(0, props.width - 12 - COL * SPAN_NAMES.length - 2);
  return (
    <Box flexDirection="column">
      <Text bold>
        LATENCY<Text dimColor> ms per turn (bar: 100 ms/cell)</Text>
      </Text>
      <Text dimColor>{'turn'.padEnd(12) + SPAN_NAMES.map((n) => (SPAN_LABELS[n] ?? n).padStart(COL)).join('')}</Text>
      {shown.map((row) => {
        const total = row.spans.responseMs;
        const slow = total !== undefined && total > SLOW_TURN_MS;
        return (
          <Text key={row.index} wrap="truncate-end">
            <Text color={slow ? 'red' : undefined}>{`#${row.index} ${clip(row.userText, 8)}`.padEnd(12) + cells(row)}</Text>
            <Text>{'  '}</Text>
            {barWidth > 0 ? <Bar row={row} width={barWidth} /> : null}
            {row.outcome && row.outcome !== 'answered' ? <Text dimColor>{` ${row.outcome}`}</Text> : null}
          </Text>
        );
      })}
      {turns.length === 0 ? <Text dimColor>no turn yet</Text> : null}
      {(['p50Ms', 'p95Ms'] as const).map((p) => (
        <Text key={p} dimColor={turns.length === 0}>
          {(p === 'p50Ms' ? 'p50' : 'p95').padEnd(12) + SPAN_NAMES.map((n) => msText(stats[n][p]).padStart(COL)).join('')}
        </Text>
      ))}
    </Box>
  );
}

/** Re-rendered only when its part of the view changes. */
export const WaterfallPane = memo(WaterfallPaneView, (a, b) => a.view.waterfall === b.view.waterfall && a.maxTurns === b.maxTurns && a.width === b.width);
