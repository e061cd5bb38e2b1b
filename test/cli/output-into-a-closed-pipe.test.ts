/*
 * `voiceagent validate agents | head -1`: head prints its line and exits, and voiceagent's next write fails with
 * EPIPE. Node raised that as an unhandled `error` event, so the user got a 20-line "Error: write EPIPE" stack
 * trace under the output they asked for, and exit code 1. The CLI must drop the rest of its output quietly and
 * exit with the command's own code.
 *
 * These run the CLI in a real child process with a real pipe. The reader closes its end before the CLI writes
 * anything: the deterministic form of what `head` does to output longer than the pipe's buffer.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI from its sources, as `bin/voiceagent.js` runs the built one. */
const FROM_SOURCES = ['--import', 'tsx', '--input-type=module', '-e', "import { run } from './cli/main.ts'; process.exitCode = await run(['node', 'voiceagent', ...process.argv.slice(1)]);", '--'];

interface Closed {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs `node ...args` in the repository with stdout (and optionally stderr) a pipe whose reader has gone. */
function runIntoClosedPipe(args: readonly string[], options: { closeStderr?: boolean } = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    if (options.closeStderr) child.stderr.destroy();
    let stderr = '';
    if (!options.closeStderr) child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('voiceagent writing into a closed pipe', () => {
  it('--help: exits 0 without an EPIPE stack trace', async () => {
    const result = await runIntoClosedPipe([...FROM_SOURCES, '--help']);
    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(result).toEqual({ code: 0, signal: null, stderr: '' });
  }, 30_000);

  it('validate: exits with the command\'s own code, 0 for valid agents and 1 for an invalid one', async () => {
    expect(await runIntoClosedPipe([...FROM_SOURCES, 'validate', 'agents'])).toEqual({ code: 0, signal: null, stderr: '' });
    const invalid = await runIntoClosedPipe([...FROM_SOURCES, 'validate', 'agents', 'test/fixtures/invalid-agents/40-several-errors.yaml']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('40-several-errors.yaml:'); // the diagnostics still reach the open stderr
    expect(invalid.stderr).not.toMatch(/EPIPE|\n\s+at /);
  }, 30_000);

  it('with stderr closed too (`2>&1 | head`): still the command\'s own code, 2 for a missing path, not a crash', async () => {
    expect(await runIntoClosedPipe([...FROM_SOURCES, 'validate', 'no-such-folder'], { closeStderr: true })).toMatchObject({ code: 2, signal: null });
  }, 30_000);

  // bin/voiceagent.js runs dist/cli/main.js: this needs `npm run build` (which `npm install` and `npm ci` run).
  const built = join(ROOT, 'dist', 'cli', 'io.js');
  const fresh = existsSync(built) && statSync(built).mtimeMs >= statSync(join(ROOT, 'cli', 'io.ts')).mtimeMs;
  it.skipIf(!fresh)('bin/voiceagent.js --help (the built CLI; skipped until `npm run build` is newer than cli/io.ts)', async () => {
    expect(await runIntoClosedPipe(['bin/voiceagent.js', '--help'])).toEqual({ code: 0, signal: null, stderr: '' });
  }, 30_000);
});
