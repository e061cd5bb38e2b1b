/** Where a command reads and writes; injected so tests run commands in-process and assert on output. */
export interface CliIO {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Folder relative paths are resolved against. */
  readonly cwd: string;
  /** Environment variables (for `${env:...}` resolution and tokens). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The real process's streams and folder. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env };
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
