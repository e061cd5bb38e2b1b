import type { CliIO } from '../../cli/io.js';

/** An in-memory terminal for running commands in-process: what the command printed, and its working folder. */
export function fakeIO(cwd: string): CliIO & { out: () => string; err: () => string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout: { write: (chunk: string) => stdout.push(chunk) },
    stderr: { write: (chunk: string) => stderr.push(chunk) },
    cwd,
    env: {},
    out: () => stdout.join(''),
    err: () => stderr.join(''),
  };
}
