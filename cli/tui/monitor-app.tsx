/*
 * `voiceagent monitor`'s screen: the list of calls on the server above the followed call's panes, which are
 * `call`'s own (`CallApp` without caller controls). The list is read from the model at most ten times a second,
 * like the panes, so a busy server costs one repaint per interval.
 */
import { Box, Text, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import { CallApp } from './call-app.js';
import { MONITOR_KEYS } from './keys.js';
import type { MonitorModel, MonitorRow } from './monitor-model.js';
import { renderScreen, type Screen, type ScreenStreams } from './render-call-screen.js';
import { MAX_RENDERS_PER_SECOND } from './use-throttled-view.js';

/** Rows of calls shown at once (the list scrolls with the cursor beyond). */
export const LIST_ROWS = 5;
/** Below this many screen rows the list is one line, so the call's panes keep their room. */
const COMPACT_BELOW_ROWS = 40;

/** Props of {@link MonitorApp}. */
export interface MonitorAppProps {
  readonly model: MonitorModel;
  /** Words for the status line: the server URL, the filter. */
  readonly tags: () => readonly string[];
  readonly onQuit: () => void;
  readonly size?: { readonly columns: number; readonly rows: number };
}

/** `HH:MM:SS` of an ISO time, local. */
function clockOf(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '?' : date.toTimeString().slice(0, 8);
}

/** Screen lines {@link CallsPane} takes (with its margin). */
export function callsPaneRows(calls: number, compact: boolean): number {
  return compact ? 2 : 3 + Math.max(1, Math.min(calls, LIST_ROWS));
}

/**
 * The list of calls: number, agent, version, call id, start, state; `▶` the followed one, `›` and inverse the
 * cursor. `compact`: one line, each call as its number, short id and state.
 */
export function CallsPane(props: { readonly rows: readonly MonitorRow[]; readonly cursor: number; readonly width: number; readonly compact?: boolean }) {
  const { rows, cursor } = props;
  const first = Math.max(0, Math.min(cursor - LIST_ROWS + 1, rows.length - LIST_ROWS));
  const shown = rows.slice(first, first + LIST_ROWS);
  const live = rows.filter((r) => !r.state.startsWith('ended')).length;
  if (props.compact) {
    return (
      <Box marginTop={1}>
        <Text wrap="truncate-end">
          <Text bold>{`CALLS ${live} live `}</Text>
          {rows.length === 0 ? <Text dimColor>waiting for a call…</Text> : null}
          {rows.map((row, index) => (
            <Text key={row.callId} inverse={index === cursor} color={row.state.startsWith('ended') ? 'gray' : row.followed ? 'green' : undefined}>
              {`${index === cursor ? '›' : ' '}${row.followed ? '▶' : ' '}${index + 1} ${row.callId.slice(0, 8)} ${row.state.split(' ')[0]} `}
            </Text>
          ))}
        </Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" marginTop={1} height={callsPaneRows(rows.length, false) - 1}>
      <Text bold wrap="truncate-end">
        {`CALLS ${live} live`}
        <Text dimColor>{rows.length > LIST_ROWS ? ` (${first + 1}-${first + shown.length} of ${rows.length})` : ''}</Text>
      </Text>
      <Text dimColor wrap="truncate-end">{'     #  agent            version      call      started   state'}</Text>
      {rows.length === 0 ? <Text dimColor>no calls yet: waiting for one to start…</Text> : null}
      {shown.map((row, i) => {
        const index = first + i;
        const text = `${index === cursor ? '›' : ' '}${row.followed ? '▶' : ' '} ${String(index + 1).padStart(2)}  ${row.agent.padEnd(16).slice(0, 16)} ${(row.version ?? '-').padEnd(12).slice(0, 12)} ${row.callId.slice(0, 8).padEnd(9)} ${clockOf(row.startedAt)}  ${row.state}`;
        return (
          <Text key={row.callId} wrap="truncate-end" inverse={index === cursor} color={row.state.startsWith('ended') ? 'gray' : row.followed ? 'green' : undefined}>
            {text.slice(0, props.width)}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * The rows and the followed call, re-read at most `MAX_RENDERS_PER_SECOND` times a second, and given to React
 * only when they changed: most events (levels, words heard) change no row, and the panes repaint on their own.
 */
function useRows(model: MonitorModel): readonly MonitorRow[] {
  const [rows, setRows] = useState(() => model.rows());
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let last = '';
    const read = () => {
      const next = model.rows();
      const key = JSON.stringify(next);
      if (key === last) return;
      last = key;
      setRows(next);
    };
    const unsubscribe = model.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        read();
      }, 1000 / MAX_RENDERS_PER_SECOND);
    });
    read();
    return () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
    };
  }, [model]);
  return rows;
}

/** The whole monitor screen. */
export function MonitorApp(props: MonitorAppProps) {
  const { model } = props;
  const rows = useRows(model);
  // The cursor lives in a ref as well: keys can arrive faster than renders (an arrow and Enter in one chunk).
  const cursorRef = useRef(0);
  const [cursor, setCursorState] = useState(0);
  const setCursor = (next: number) => {
    cursorRef.current = next;
    setCursorState(next);
  };
  const at = Math.min(cursor, Math.max(0, rows.length - 1));
  useInput((input, key) => {
    const current = Math.min(cursorRef.current, Math.max(0, rows.length - 1));
    if (key.upArrow) return setCursor(Math.max(0, current - 1));
    if (key.downArrow) return setCursor(Math.max(0, Math.min(rows.length - 1, current + 1)));
    if (key.return && rows[current]) return model.follow(rows[current].callId);
    if (/^[1-9]$/.test(input)) {
      const row = rows[Number(input) - 1];
      if (row) {
        setCursor(Number(input) - 1);
        model.follow(row.callId);
      }
    }
  });
  const { stdout } = useStdout();
  const columns = stdout.columns || props.size?.columns || 100;
  const compact = (stdout.rows || props.size?.rows || 30) < COMPACT_BELOW_ROWS;
  return (
    <CallApp
      source={model.source}
      onQuit={props.onQuit}
      title="voiceagent monitor"
      tags={props.tags}
      keys={MONITOR_KEYS}
      footer="↑/↓ move · Enter or 1-9 follow a call · ? help · q quit"
      waiting={rows.find((row) => row.followed)?.agent ?? 'no call yet'}
      header={<CallsPane rows={rows} cursor={at} width={columns} compact={compact} />}
      headerRows={callsPaneRows(rows.length, compact)}
      {...(props.size ? { size: props.size } : {})}
    />
  );
}

/** Draws {@link MonitorApp} on the terminal. */
export function renderMonitorScreen(props: MonitorAppProps, streams: ScreenStreams = {}): Screen {
  return renderScreen(<MonitorApp {...props} />, streams);
}
