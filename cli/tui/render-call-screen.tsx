import { render } from 'ink';
import type { ReactElement } from 'react';
import { CallApp, type CallAppProps } from './call-app.js';
import { MAX_RENDERS_PER_SECOND } from './use-throttled-view.js';

/** A screen on the terminal; `close` unmounts it and gives the terminal back. */
export interface Screen {
  close(): Promise<void>;
}

/** Where a screen draws and reads keys (default: the process's terminal). */
export interface ScreenStreams {
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
}

/** Draws `element` full screen (stdin in raw mode for keys; Ctrl-C is the app's), at most MAX_RENDERS_PER_SECOND. */
export function renderScreen(element: ReactElement, streams: ScreenStreams = {}): Screen {
  const instance = render(element, {
    ...(streams.stdout ? { stdout: streams.stdout } : {}),
    ...(streams.stdin ? { stdin: streams.stdin } : {}),
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: MAX_RENDERS_PER_SECOND,
  });
  return {
    async close() {
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
    },
  };
}

/** Draws {@link CallApp} on the terminal. */
export function renderCallScreen(props: CallAppProps, streams: ScreenStreams = {}): Screen {
  return renderScreen(<CallApp {...props} />, streams);
}
