/*
 * `voiceagent deploy` ships what is committed. An agent file edited after its commit, staged but not committed,
 * never added, or living outside any repository must be told apart from a clean one, and a clean file's last
 * commit (hash, author, subject, time) travels with the version.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gitFileState } from '../../runtime/api/git-state.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-git-'));
  dirs.push(dir);
  return dir;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada Lovelace', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' });
}

function repoWithCommittedAgent(): { dir: string; file: string } {
  const dir = tempDir();
  git(dir, 'init', '-q');
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'name: a\n');
  git(dir, 'add', 'agent.yaml');
  git(dir, 'commit', '-q', '-m', 'Add the agent');
  return { dir, file };
}

describe('gitFileState', () => {
  it('a committed file is clean and carries its last commit', async () => {
    const { dir, file } = repoWithCommittedAgent();
    const state = await gitFileState(file);
    expect(state).toMatchObject({ kind: 'repo', dirty: false, info: { author: 'Ada Lovelace <ada@example.com>', message: 'Add the agent' } });
    if (state.kind !== 'repo') throw new Error('unreachable');
    expect(state.info?.commit).toBe(git(dir, 'rev-parse', 'HEAD').trim());
    expect(state.info?.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(state.info?.dirty).toBeUndefined();
  });

  it('an edit after the commit makes it dirty', async () => {
    const { file } = repoWithCommittedAgent();
    writeFileSync(file, 'name: b\n');
    expect(await gitFileState(file)).toMatchObject({ kind: 'repo', dirty: true, status: expect.stringContaining('agent.yaml'), info: { dirty: true } });
  });

  it('a staged but uncommitted edit is dirty too', async () => {
    const { dir, file } = repoWithCommittedAgent();
    writeFileSync(file, 'name: b\n');
    git(dir, 'add', 'agent.yaml');
    expect(await gitFileState(file)).toMatchObject({ kind: 'repo', dirty: true });
  });

  it('a file never added is dirty, with HEAD as the commit', async () => {
    const { dir } = repoWithCommittedAgent();
    const other = join(dir, 'other.yaml');
    writeFileSync(other, 'name: other\n');
    const state = await gitFileState(other);
    expect(state).toMatchObject({ kind: 'repo', dirty: true, status: '?? other.yaml', info: { commit: expect.stringMatching(/^[0-9a-f]{40}$/), dirty: true } });
  });

  it('an edit to another file leaves this one clean', async () => {
    const { dir, file } = repoWithCommittedAgent();
    writeFileSync(join(dir, 'README.md'), 'notes\n');
    expect(await gitFileState(file)).toMatchObject({ kind: 'repo', dirty: false });
  });

  it('a file outside any repository says so', async () => {
    const dir = tempDir();
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'name: a\n');
    // A temp dir is outside any repo unless TMPDIR lives in one; GIT_CEILING_DIRECTORIES is not needed on CI.
    expect(await gitFileState(file)).toEqual({ kind: 'no-repo', reason: 'not in a git repository' });
  });
});
