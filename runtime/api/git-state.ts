/*
 * Where an agent file stands in git, for `voiceagent deploy`: a deploy ships what is committed, so a file with
 * uncommitted changes (or untracked, or outside any repository) is refused unless `--allow-dirty`, and the commit
 * the file was last changed in travels with the version (who, what, when) to show in `voiceagent versions`.
 */
import { execFile } from 'node:child_process';
import { basename, dirname } from 'node:path';
import type { GitInfo } from '../registry/types.js';

/** An agent file's git state. */
export type GitFileState =
  /** Not inside a git work tree (or git is not installed). */
  | { readonly kind: 'no-repo'; readonly reason: string }
  /** In a repository; `dirty` when `git status --porcelain` lists it (modified, staged, untracked, deleted). */
  | { readonly kind: 'repo'; readonly dirty: boolean; readonly status: string; readonly info?: GitInfo };

function git(cwd: string, args: readonly string[]): Promise<{ ok: true; out: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    // LC_ALL=C: messages in English whatever the user's locale, since some reach the user.
    execFile('git', [...args], { cwd, env: { ...process.env, LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' }, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) resolve({ ok: false, error: (stderr || error.message).trim() });
      else resolve({ ok: true, out: stdout });
    });
  });
}

/**
 * The git state of `file` (an absolute path): whether it has uncommitted changes, and the last commit that
 * changed it (`git log -1 -- file`: full hash, author, first line of the message, commit time).
 */
export async function gitFileState(file: string): Promise<GitFileState> {
  const dir = dirname(file);
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (!top.ok) {
    const reason = /ENOENT|not found/i.test(top.error) && !/not a git repository/i.test(top.error) ? 'git is not installed' : 'not in a git repository';
    return { kind: 'no-repo', reason };
  }
  const status = await git(dir, ['status', '--porcelain', '--', basename(file)]);
  if (!status.ok) return { kind: 'no-repo', reason: status.error };
  const line = status.out.trim();
  const dirty = line.length > 0;
  const log = await git(dir, ['log', '-1', '--format=%H%x00%an <%ae>%x00%s%x00%cI', '--', basename(file)]);
  let info: GitInfo | undefined;
  if (log.ok && log.out.trim()) {
    const [commit, author, message, time] = log.out.trim().split('\0');
    info = { commit: commit!, ...(author ? { author } : {}), ...(message ? { message } : {}), ...(time ? { time } : {}), ...(dirty ? { dirty } : {}) };
  } else if (dirty) {
    // Never committed: there is no commit to name; HEAD (if any) says where the work tree stands.
    const head = await git(dir, ['rev-parse', 'HEAD']);
    if (head.ok) info = { commit: head.out.trim(), dirty: true };
  }
  return { kind: 'repo', dirty, status: line, ...(info ? { info } : {}) };
}
