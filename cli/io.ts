import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where a command reads and writes; injected so tests run commands in-process and assert on output. */
export interface CliIO {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Folder relative paths are resolved against. */
  readonly cwd: string;
  /** Environment variables (for `${env:...}` resolution and tokens). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where confirmations are read (`deploy` without `--yes`); absent or not a TTY: commands that would ask refuse instead. */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /**
   * Runs `handler` on SIGTERM and SIGINT (long-running commands: `serve`); returns the function that stops
   * listening. Absent in tests that never signal.
   */
  readonly onSignal?: (handler: (signal: string) => void) => () => void;
}

/**
 * The real process's streams and folder. Output to a reader that has gone away (`voiceagent validate | head`)
 * is dropped quietly instead of crashing with an EPIPE stack trace.
 */
export function processIO(): CliIO {
  endQuietlyOnBrokenPipe(process.stdout);
  endQuietlyOnBrokenPipe(process.stderr);
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    cwd: process.cwd(),
    env: process.env,
    onSignal(handler) {
      process.on('SIGTERM', handler);
      process.on('SIGINT', handler);
      return () => {
        process.off('SIGTERM', handler);
        process.off('SIGINT', handler);
      };
    },
  };
}

const guarded = new WeakSet<NodeJS.WriteStream>();

/**
 * When the reader of a pipe exits early (`| head`), the next write fails with EPIPE, which Node raises as an
 * unhandled `error` event: a stack trace after the output the user asked for. The reader has what it wanted, so
 * the rest of the output is dropped (the stream is closed by then, later writes go nowhere) and the command runs
 * to its end and exits with its own code, which a shell with `set -o pipefail` still reports. Other stream
 * errors are rethrown, as if there were no listener.
 */
function endQuietlyOnBrokenPipe(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** An error the user can fix; its message is printed without a stack trace and the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * Whether a full-screen (ink) view can draw here: stdout and stdin are terminals, and no CI variable is set.
 * ink draws nothing but its last frame when `CI` or `CONTINUOUS_INTEGRATION` is set (and not `0`/`false`),
 * so a screen would stay blank until the end: `call` and `monitor` print plain lines instead, and say why.
 */
export function screenUnavailable(io: CliIO, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (io.stdout !== process.stdout || process.stdout.isTTY !== true || process.stdin.isTTY !== true) return 'not a terminal';
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) {
    const value = env[key];
    if (value !== undefined && value !== '0' && value !== 'false') return `${key} is set (unset it for the screen)`;
  }
  return undefined;
}

/** Writes a file the user asked for (records, WAVs, reports), creating its folder; a failure is a {@link CliError}. */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}
