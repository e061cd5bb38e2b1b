import { Box, Text } from 'ink';
import type { AgentActivity, CallView } from '../../runtime/index.js';
import type { RegionStates } from './chart-states.js';

export { regionStatesOf, type RegionStates } from './chart-states.js';
import { secs } from './format.js';

/** Colour of the agent's activity, as the status line and the highlighted state show it. */
export const ACTIVITY_COLOR: Readonly<Record<AgentActivity, string>> = {
  idle: 'gray',
  listening: 'cyan',
  thinking: 'yellow',
  speaking: 'green',
  paused: 'magenta',
  ended: 'red',
};

/** Region order on screen; regions a newer chart adds follow. */
const ORDER = ['caller', 'agent', 'turn', 'language'];

/**
 * The chart's parallel regions, one row each: every top-level state of the region, the active one
 * highlighted with its full leaf (`[responding.speaking.playing]`). States come from the chart when known,
 * else from the states seen so far.
 */
export function RegionsPane(props: { readonly view: CallView; readonly states?: RegionStates }) {
  const { paths, agentActivity, agentActivitySinceMs } = props.view.regions;
  const names = [...new Set([...ORDER.filter((r) => r in paths || (props.states && r in props.states)), ...Object.keys(props.states ?? {}), ...Object.keys(paths)])];
  const color = ACTIVITY_COLOR[agentActivity];
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>STATECHART </Text>
        <Text color={color} inverse bold>{` ${agentActivity.toUpperCase()} `}</Text>
        <Text dimColor>{` for ${secs(Math.max(0, props.view.call.atMs - agentActivitySinceMs))}`}</Text>
      </Text>
      {names.map((region) => {
        const leaf = paths[region];
        const top = leaf?.split('.')[0];
        const known = props.states?.[region] ?? [];
        const all = top !== undefined && !known.includes(top) ? [...known, top] : known;
        return (
          <Text key={region} wrap="truncate-end">
            <Text dimColor>{region.padEnd(9)}</Text>
            {all.map((state) =>
              state === top ? (
                <Text key={state} color={region === 'agent' ? color : 'cyan'} inverse>{`[${leaf}]`}</Text>
              ) : (
                <Text key={state} dimColor>{` ${state} `}</Text>
              ),
            )}
            {all.length === 0 ? <Text dimColor>-</Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
