import { Box, Text } from 'ink';
import { memo } from 'react';
import type { BargeInEntry, CallView } from '../../runtime/index.js';
import { clip, secs } from './format.js';

function outcome(entry: BargeInEntry): { readonly text: string; readonly color?: string } {
  if (entry.interruptedAtMs !== undefined || entry.kind === 'interrupt') return { text: `✂ interrupted${entry.interruptedAtMs !== undefined ? ` ${secs(entry.interruptedAtMs)}` : ''}`, color: 'red' };
  if (entry.resumedAtMs !== undefined) return { text: `↺ resumed ${secs(entry.resumedAtMs)}${entry.kind === 'backchannel' ? ' (backchannel)' : ''}`, color: 'green' };
  if (entry.decision === 'dismissed') return { text: `dismissed (${entry.kind})` };
  return { text: '… deciding', color: 'yellow' };
}

/**
 * The barge-in log: each attempt's onset, what playout did (paused, ducked, carried on) and how fast, how it was
 * decided (interrupted or resumed) and why.
 */
function BargeInPaneView(props: { readonly view: CallView; readonly maxRows: number; readonly width: number }) {
  const { bargeIns } = props.view;
  const shown = bargeIns.slice(-Math.max(1, props.maxRows));
  return (
    <Box flexDirection="column">
      <Text bold>
        BARGE-INS<Text dimColor>{bargeIns.length > 0 ? ` ${bargeIns.length} so far` : ''}</Text>
      </Text>
      <Text dimColor>{'onset'.padEnd(8) + 'reaction'.padEnd(18) + 'outcome'.padEnd(24) + 'cause'}</Text>
      {shown.map((entry) => {
        const reacted = entry.reaction ? `${entry.reaction}${entry.reactionMs !== undefined ? ` ${Math.round(entry.reactionMs)} ms` : ''}` : '-';
        const result = outcome(entry);
        return (
          <Text key={entry.onsetMs} wrap="truncate-end">
            <Text>{secs(entry.onsetMs).padEnd(8)}</Text>
            <Text color="magenta">{reacted.padEnd(18)}</Text>
            <Text color={result.color}>{result.text.padEnd(24)}</Text>
            <Text dimColor>{clip(entry.reason ?? '', Math.max(10, props.width - 50))}</Text>
          </Text>
        );
      })}
      {bargeIns.length === 0 ? <Text dimColor>none yet</Text> : null}
    </Box>
  );
}

/** Re-rendered only when its part of the view changes. */
export const BargeInPane = memo(BargeInPaneView, (a, b) => a.view.bargeIns === b.view.bargeIns && a.maxRows === b.maxRows && a.width === b.width);
