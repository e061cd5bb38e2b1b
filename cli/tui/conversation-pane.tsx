import { Box, Text } from 'ink';
import { memo } from 'react';
import { conversationLines, type AgentLine, type CallerLine, type CallView, type ConversationLine, type EventWord } from '../../runtime/index.js';
import { CUT_MARK, secs } from './format.js';

export { CUT_MARK };


/** Width of the speaker column. */
const WHO = 8;

/** Colour of a recognised word by its confidence: the recogniser's doubts at a glance. */
function confidenceColor(confidence: number): string | undefined {
  return confidence < 0.6 ? 'red' : confidence < 0.8 ? 'yellow' : undefined;
}

function meanConfidence(words: readonly EventWord[]): number | undefined {
  if (words.length === 0) return undefined;
  return words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
}

function callerSuffix(line: CallerLine): string {
  const conf = meanConfidence(line.words);
  const confText = conf === undefined ? '' : ` conf ${conf.toFixed(2)}`;
  switch (line.status) {
    case 'partial':
      return ` … partial${confText}`;
    case 'final':
      return ` = final${confText}`;
    case 'committed':
      return ` (turn ${line.turnIndex ?? '?'})`;
    case 'discarded':
      return ` (${line.discardedAs ?? 'discarded'}: no turn)`;
  }
}

function CallerRow({ line }: { readonly line: CallerLine }) {
  const open = line.status === 'partial' || line.status === 'final';
  const words = open && line.words.length > 0 ? line.words : undefined;
  return (
    <Text>
      <Text color="cyan" bold>{'caller'.padEnd(WHO)}</Text>
      {words ? (
        words.map((w, i) => (
          <Text key={i} color={confidenceColor(w.confidence)} italic={!w.stable}>
            {(i > 0 ? ' ' : '') + w.text}
          </Text>
        ))
      ) : (
        <Text dimColor={line.status === 'discarded'}>{line.text}</Text>
      )}
      <Text dimColor>{callerSuffix(line)}</Text>
    </Text>
  );
}

function AgentRow({ line }: { readonly line: AgentLine }) {
  const who = <Text color="green" bold>{'agent'.padEnd(WHO)}</Text>;
  switch (line.status) {
    case 'generating':
      return (
        <Text>
          {who}
          <Text dimColor italic>{line.text || '…'}</Text>
          <Text dimColor> (generating)</Text>
        </Text>
      );
    case 'speaking': {
      const heard = line.text.slice(0, line.heardChars);
      const rest = line.text.slice(line.heardChars);
      return (
        <Text>
          {who}
          <Text>{heard}</Text>
          <Text color="green">▸</Text>
          <Text dimColor>{rest}</Text>
        </Text>
      );
    }
    case 'cut': {
      const cut = line.cut!;
      return (
        <Text>
          {who}
          <Text>{cut.heardText}</Text>
          <Text color="red" bold>{` ${CUT_MARK} `}</Text>
          <Text color="red" dimColor strikethrough>{cut.unheardText.trim()}</Text>
          <Text dimColor>{` (cut by ${cut.by} at ${secs(cut.atMs)})`}</Text>
        </Text>
      );
    }
    case 'unspoken':
      return (
        <Text>
          {who}
          <Text dimColor strikethrough>{line.text}</Text>
          <Text dimColor> (never heard)</Text>
        </Text>
      );
    case 'done':
      return (
        <Text>
          {who}
          <Text>{line.text}</Text>
        </Text>
      );
  }
}

/** Rows a line takes at this width (the text wraps). */
function rowsOf(line: ConversationLine, width: number): number {
  const length = WHO + line.text.length + 28;
  return Math.max(1, Math.ceil(length / Math.max(20, width)));
}

/**
 * The conversation, newest at the bottom, as many lines as fit in `height` rows: caller partials with their
 * confidence, finals and turns; the agent's words as heard (the unheard rest dimmed while it speaks), and on an
 * interruption the cut point ✂ with the rest struck out.
 */
function ConversationPaneView(props: { readonly view: CallView; readonly height: number; readonly width: number }) {
  const all = conversationLines(props.view);
  const shown: ConversationLine[] = [];
  let rows = 1;
  for (let i = all.length - 1; i >= 0; i--) {
    rows += rowsOf(all[i]!, props.width);
    if (rows > props.height && shown.length > 0) break;
    shown.unshift(all[i]!);
  }
  return (
    <Box flexDirection="column" height={props.height} overflow="hidden">
      <Text bold>
        CONVERSATION<Text dimColor>{all.length > shown.length ? ` (${all.length - shown.length} earlier lines)` : ''}</Text>
      </Text>
      {shown.map((line) => (line.role === 'caller' ? <CallerRow key={line.id} line={line} /> : <AgentRow key={line.id} line={line} />))}
      {all.length === 0 ? <Text dimColor>nobody has spoken yet</Text> : null}
    </Box>
  );
}

/** Re-rendered only when its part of the view changes. */
export const ConversationPane = memo(ConversationPaneView, (a, b) => a.view.conversation === b.view.conversation && a.height === b.height && a.width === b.width);
