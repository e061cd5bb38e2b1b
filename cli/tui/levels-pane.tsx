import { Box, Text } from 'ink';
import { memo } from 'react';
import type { CallView } from '../../runtime/index.js';
import { dbText, meterText, sparkline } from './format.js';

/** Input (the caller's line) and output (the agent's audio) level meters, with a sparkline of the recent samples. */
function LevelsPaneView(props: { readonly view: CallView; readonly width: number }) {
  const { levels } = props.view;
  const meterWidth = Math.max(8, Math.min(30, props.width - 20));
  // The last 4 s (a sample per 100 ms): enough to see who spoke when; wider costs render time for little.
  const recent = levels.recent.slice(-Math.max(8, Math.min(40, props.width - 12)));
  return (
    <Box flexDirection="column">
      <Text bold>LEVELS</Text>
      <Text wrap="truncate-end">
        <Text dimColor>{'in  '}</Text>
        <Text color="cyan">{meterText(levels.inDb, meterWidth)}</Text>
        <Text>{` ${dbText(levels.inDb)}`}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>{'out '}</Text>
        <Text color="green">{meterText(levels.outDb, meterWidth)}</Text>
        <Text>{` ${dbText(levels.outDb)}`}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>{'in  '}</Text>
        <Text color="cyan">{sparkline(recent.map((s) => s.inDb))}</Text>
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>{'out '}</Text>
        <Text color="green">{sparkline(recent.map((s) => s.outDb))}</Text>
      </Text>
    </Box>
  );
}

/** Re-rendered only when its part of the view changes. */
export const LevelsPane = memo(LevelsPaneView, (a, b) => a.view.levels === b.view.levels && a.width === b.width);
