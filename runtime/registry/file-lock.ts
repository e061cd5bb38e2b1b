/*
 * A lock file shared by every process using one registry folder: created with O_EXCL (`wx`), so exactly one
 * process holds it; it records the holder's pid and start time. A lock whose holder is dead (a `kill -9` in the
 * middle of an activation) or that is older than `staleMs` is stale and taken over, so a crash never wedges the
 * registry. The critical sections it guards last milliseconds.
 */
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { RegistryError } from './errors.js';

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this long, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** A lock older than this is taken over even if its pid looks alive (pid reuse), ms. Default 30000. */
  readonly staleMs?: number;
}

/** Runs `work` while holding the lock file `path`; the lock is removed afterwards, also when `work` throws. */
export async function withFileLock<T>(path: string, work: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const token = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await takeOverIfStale(path, staleMs)) continue;
    if (Date.now() > deadline) throw new RegistryError('locked', `the registry lock ${path} has been held for over ${timeoutMs} ms; if no deploy is running, delete it`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(2 + attempt * 2, 25)));
  }
  try {
    return await work();
  } finally {
    // Only our own lock goes: if it was taken over as stale meanwhile, the new holder's stays.
    const held = await readFile(path, 'utf8').catch(() => undefined);
    if (held === token) await unlink(path).catch(() => {});
  }
}

/** Moves a stale lock aside; true when it did (the caller retries at once). */
async function takeOverIfStale(path: string, staleMs: number): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return true; // released meanwhile
  const [pidText, sinceText] = text.split(' ');
  const pid = Number(pidText);
  const since = Number(sinceText);
  // A lock file still empty is being written by its creator, unless it has been so for a second (killed between
  // creating and writing it).
  const written = Number.isInteger(pid) && pid > 0 && Number.isFinite(since);
  const dead = written && !isAlive(pid);
  const old = written ? Date.now() - since > staleMs : Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? Date.now()) > 1000;
  if (!dead && !old) return false;
  // Renamed rather than deleted, then checked: if another process took it over first, the file we moved is its
  // fresh lock, which is put back when the name is still free.
  const aside = `${path}.${process.pid}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return true;
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== text) {
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
