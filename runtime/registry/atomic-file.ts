/*
 * Crash-safe file writes for the file registry. A file is written whole to a temporary name in its own folder,
 * flushed to disk, then renamed (or linked) over its final name, and the folder is flushed so the rename itself
 * survives a power cut. A reader therefore sees the old file or the new one, never half of one; a crash leaves at
 * most a `.tmp` file that no reader looks at.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Suffix of temporary files (skipped by every listing). */
export const TEMP_SUFFIX = '.tmp';

/** Flushes a folder's entries (the renames and links into it) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on a folder (EINVAL); the rename is then as durable as the system makes it.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  } finally {
    await handle.close();
  }
}

async function writeTemp(path: string, text: string): Promise<string> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/** Replaces `path` with `text` atomically (temp file, fsync, rename, fsync of the folder). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temp = await writeTemp(path, text);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await fsyncDir(dirname(path));
}

/**
 * Creates `path` with `text` atomically unless it exists: `link` never replaces a file, so of two processes
 * creating the same file, exactly one writes it. Returns false when the file was already there.
 */
export async function createFileAtomic(path: string, text: string): Promise<boolean> {
  const temp = await writeTemp(path, text);
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
  await fsyncDir(dirname(path));
  return true;
}
