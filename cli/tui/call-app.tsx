import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { CallView } from '../../runtime/index.js';
import { BargeInPane } from './barge-in-pane.js';
import { backchannel, runLine, type CallControls } from './call-controls.js';
import { ConversationPane } from './conversation-pane.js';
import { clockText } from './format.js';
import { HelpPane } from './help-pane.js';
import type { KeyTable } from './keys.js';
import { LevelsPane } from './levels-pane.js';
import { ACTIVITY_COLOR, RegionsPane, type RegionStates } from './regions-pane.js';
import { useThrottledView } from './use-throttled-view.js';
import type { ViewSource } from './view-source.js';
import { WaterfallPane } from './waterfall-pane.js';

/** Props of {@link CallApp}. */
export interface CallAppProps {
  readonly source: ViewSource;
  /** The caller's side; absent when only watching (`monitor`). */
  readonly controls?: CallControls;
  /** Watching only: what q and Ctrl-C do. */
  readonly onQuit?: () => void;
  /** `voiceagent call`, `voiceagent monitor`: the first words of the status line. */
  readonly title: string;
  /** Words after the agent's in the status line (`offline`, a server URL). */
  readonly tags?: readonly string[] | (() => readonly string[]);
  /** The chart's states per region, when the chart is known. */
  readonly states?: RegionStates;
  /** The caller's current language, shown beside the input. */
  readonly callerLanguage?: () => string;
  /** Screen size when stdout is no terminal (tests). */
  readonly size?: { readonly columns: number; readonly rows: number };
  /** Shown under the status line (`monitor`'s list of calls), `headerRows` lines high. */
  readonly header?: ReactNode;
  readonly headerRows?: number;
  /** The keys `?` lists (default: `call`'s), and the hint line when only watching. */
  readonly keys?: KeyTable;
  readonly footer?: string;
  /** The status line's first word before a call's first event (default `connecting…`). */
  readonly waiting?: string;
}

function useScreenSize(fallback: CallAppProps['size']): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || fallback?.columns || 100, rows: stdout.rows || fallback?.rows || 30 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    // Resize-safe: every pane sizes itself from this, so a smaller window gets fewer lines, not a scrolled mess.
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function StatusLine({ view, title, tags, waiting }: { readonly view: CallView; readonly title: string; readonly tags: readonly string[]; readonly waiting?: string }) {
  const { call, regions } = view;
  const words = [call.agent ?? waiting ?? 'connecting…', call.mode, call.language, ...tags, call.callId ? `call ${call.callId.slice(0, 8)}` : undefined].filter(Boolean);
  return (
    <Text wrap="truncate-end">
      <Text bold color="blue">{title}</Text>
      <Text>{` · ${words.join(' · ')} · ${clockText(call.endedAtMs ?? call.atMs)} `}</Text>
      <Text inverse bold color={ACTIVITY_COLOR[regions.agentActivity]}>{` ${regions.agentActivity.toUpperCase()} `}</Text>
      {call.ended ? <Text color="red">{` call ended (${call.endReason ?? 'over'}): q quits`}</Text> : null}
      {call.missedEvents > 0 ? <Text color="yellow">{` ${call.missedEvents} events missed`}</Text> : null}
    </Text>
  );
}

/** The whole screen of one call: status, chart regions, levels, conversation, latency, barge-ins, input. */
export function CallApp(props: CallAppProps) {
  const { view, notes } = useThrottledView(props.source);
  const { columns, rows } = useScreenSize(props.size);
  // The line lives in a ref as well: keys can arrive faster than renders (a paste, or text and Enter in one chunk).
  const lineRef = useRef('');
  const [line, setLineState] = useState('');
  const setLine = (next: string) => {
    lineRef.current = next;
    setLineState(next);
  };
  const [help, setHelp] = useState(false);
  const [hint, setHint] = useState<string | undefined>();
  const controls = props.controls;
  const quit = () => (controls ? controls.quit() : props.onQuit?.());
  const submit = (text: string) => {
    if (controls) setHint(runLine(text, controls, () => setHelp((h) => !h)));
    setLine('');
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return quit();
    if (key.escape) {
      setLine('');
      setHelp(false);
      return;
    }
    if (key.meta && controls) {
      const letter = input.toLowerCase();
      if (letter === 'b') setHint(backchannel(controls));
      else if (letter === 'c') setHint(controls.sound() ?? 'caller coughs');
      else if (letter === 'l') setHint(`caller now speaks ${controls.switchLanguage()}`);
      else if (letter === 'h') {
        controls.hangup();
        setHint('caller hung up');
      }
      return;
    }
    if (key.return) return submit(lineRef.current);
    if (key.backspace || key.delete) return setLine(lineRef.current.slice(0, -1));
    if (key.ctrl || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return;
    if (lineRef.current === '' && input === '?') return setHelp((h) => !h);
    if (lineRef.current === '' && input === 'q') return quit();
    if (!controls) return;
    // Text and Enter in one chunk: each line break submits what came before it.
    const parts = input.split(/\r\n|\r|\n/);
    for (const part of parts.slice(0, -1)) submit(lineRef.current + part);
    setLine(lineRef.current + parts[parts.length - 1]!);
  });

  const wide = columns >= 130;
  const topRows = 5;
  const turnRows = rows >= 40 ? 6 : rows >= 30 ? 3 : 1;
  const bargeRows = rows >= 40 ? 5 : rows >= 30 ? 3 : 1;
  const bottomRows = wide ? 4 + Math.max(turnRows, bargeRows) : 7 + turnRows + bargeRows;
  const topHeight = wide ? topRows : topRows + 3;
  const footer = controls ? 3 : 2;
  const conversationRows = Math.max(3, rows - 1 - topHeight - bottomRows - footer - 2 - (props.header ? (props.headerRows ?? 0) : 0));
  const lastNote = hint ?? notes[notes.length - 1];
  const panelWidth = wide ? Math.floor(columns / 2) - 1 : columns;

  return (
    <Box flexDirection="column" width={columns} height={rows - 1}>
      <StatusLine view={view} title={props.title} tags={typeof props.tags === 'function' ? props.tags() : (props.tags ?? [])} {...(props.waiting ? { waiting: props.waiting } : {})} />
      {props.header ?? null}
      <Box flexDirection={wide ? 'row' : 'column'} marginTop={1}>
        <Box width={wide ? Math.floor(columns * 0.62) : columns} flexDirection="column">
          <RegionsPane view={view} {...(props.states ? { states: props.states } : {})} />
        </Box>
        <Box flexGrow={1} flexDirection="column">
          <LevelsPane view={view} width={wide ? Math.floor(columns * 0.38) : columns} />
        </Box>
      </Box>
      <Box marginTop={1} flexDirection="column">
        {help ? <HelpPane height={conversationRows} {...(props.keys ? { keys: props.keys } : {})} /> : <ConversationPane view={view} height={conversationRows} width={columns} />}
      </Box>
      <Box flexDirection={wide ? 'row' : 'column'}>
        <Box width={panelWidth} flexDirection="column" marginRight={wide ? 2 : 0}>
          <WaterfallPane view={view} maxTurns={turnRows} width={panelWidth} />
        </Box>
        <Box width={panelWidth} flexDirection="column">
          <BargeInPane view={view} maxRows={bargeRows} width={panelWidth} />
        </Box>
      </Box>
      <Box flexGrow={1} />
      <Text dimColor wrap="truncate-end">{lastNote ?? ' '}</Text>
      {controls ? (
        <Text wrap="truncate-end">
          <Text color="cyan">{`${props.callerLanguage?.() ?? ''}> `}</Text>
          <Text>{line}</Text>
          <Text inverse> </Text>
        </Text>
      ) : null}
      <Text dimColor wrap="truncate-end">
        {controls ? 'Enter speak · Alt-b uh-huh · Alt-c cough · Alt-l language · Alt-h hang up · ? help · q quit (empty line)' : (props.footer ?? '↑/↓ pick a call · q quit')}
      </Text>
    </Box>
  );
}
