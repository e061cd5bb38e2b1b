import { Box, Text } from 'ink';
import { CALL_KEYS, type KeyTable } from './keys.js';


/** The help overlay (`?`). */
export function HelpPane(props: { readonly height: number; readonly keys?: KeyTable }) {
  const keys = props.keys ?? CALL_KEYS;
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <Text bold>KEYS (? or Esc closes)</Text>
      {keys === CALL_KEYS ? <Text dimColor>Type what the caller says. Lines are spoken into the call with a synthesised caller voice, so VAD, barge-in and endpointing hear them as speech.</Text> : null}
      {keys.map(([key, command, what]) => (
        <Text key={key}>
          <Text color="cyan" bold>{key.padEnd(11)}</Text>
          <Text color="yellow">{command.padEnd(12)}</Text>
          <Text>{what}</Text>
        </Text>
      ))}
    </Box>
  );
}
