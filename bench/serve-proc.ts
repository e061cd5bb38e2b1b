/*
 * What bench:serve reads about the server's processes from Linux's /proc: the process tree of `voiceagent
 * serve` (the cluster primary and its workers), CPU time (utime + stime of every thread, eSpeak's synthesis
 * threads included) and resident memory. Linux only; elsewhere every reading is undefined and the figures say so.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number, path = `/proc/${pid}/stat`): string[] | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `pid` and every descendant of it, by scanning /proc (parents first). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [pid];
  }
  for (const name of entries) {
    // Field 4 of stat is the parent pid (index 1 after the command name).
    const parent = Number(statFields(Number(name))?.[1]);
    if (!Number.isInteger(parent)) continue;
    const list = children.get(parent) ?? [];
    list.push(Number(name));
    children.set(parent, list);
  }
  const tree: number[] = [];
  const visit = (at: number): void => {
    tree.push(at);
    for (const child of children.get(at) ?? []) visit(child);
  };
  visit(pid);
  return tree;
}

/** The command line of a process, or '' once it has gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

/** CPU time a process has used (user + system, all its threads), ms; undefined once it has gone. */
export function cpuMs(pid: number): number | undefined {
  return cpuOf(statFields(pid));
}

/**
 * CPU time of a process's main thread (its event loop), ms: the thread whose id is the pid. The rest of the
 * process's time is its other threads: eSpeak's synthesis thread, V8's GC helpers, libuv's pool.
 */
export function mainThreadCpuMs(pid: number): number | undefined {
  return cpuOf(statFields(pid, `/proc/${pid}/task/${pid}/stat`));
}

function cpuOf(fields: string[] | undefined): number | undefined {
  if (!fields) return undefined;
  // utime and stime are fields 14 and 15 of stat: indices 11 and 12 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size of a process, bytes (VmRSS); undefined once it has gone. */
export function rssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sum of a reading over processes (the ones that have gone count 0). */
export function sumOf(pids: readonly number[], read: (pid: number) => number | undefined): number {
  return pids.reduce((total, pid) => total + (read(pid) ?? 0), 0);
}
