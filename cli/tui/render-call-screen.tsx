import { render } from 'ink';
import { CallApp, type CallAppProps } from './call-app.js';
import { MAX_RENDERS_PER_SECOND } from './use-throttled-view.js';

/** A screen on the terminal; `close` unmounts it and gives the terminal back. */
export interface CallScreen {
  close(): Promise<void>;
}

/** Draws {@link CallApp} on the process's terminal (stdin in raw mode for keys; Ctrl-C is the app's). */
export function renderCallScreen(props: CallAppProps, streams: { readonly stdout?: NodeJS.WriteStream; readonly stdin?: NodeJS.ReadStream } = {}): CallScreen {
  const instance = render(<CallApp {...props} />, {
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
