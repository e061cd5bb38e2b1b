/*
 * `--play`: both sides of the call on the local sound device, through `aplay` (ALSA) or sox's `play`, whichever
 * is on the PATH, fed raw PCM on stdin: caller on the left, agent on the right. No player, no device, or a
 * player that dies: playing is off, silently, and the call goes on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** A running player: give it each 20 ms of both sides. */
export interface CallPlayer {
  write(caller: Int16Array, agent: readonly Int16Array[]): void;
  close(): void;
}

function onPath(name: string, env: Readonly<Record<string, string | undefined>>): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** Starts a player at `sampleRate`, or returns undefined when no player program is installed. */
export function createCallPlayer(sampleRate: number, env: Readonly<Record<string, string | undefined>>): CallPlayer | undefined {
  const rate = String(sampleRate);
  const command = onPath('aplay', env)
    ? ['aplay', '-q', '-t', 'raw', '-f', 'S16_LE', '-r', rate, '-c', '2']
    : onPath('play', env)
      ? ['play', '-q', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-r', rate, '-c', '2', '-']
      : undefined;
  if (!command) return undefined;
  let child: ChildProcess | undefined;
  try {
    child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'ignore', 'ignore'] });
  } catch {
    return undefined;
  }
  let alive = true;
  const stop = () => {
    alive = false;
  };
  child.on('error', stop);
  child.on('exit', stop);
  child.stdin?.on('error', stop);
  let agentBuffer = new Int16Array(0);
  return {
    write(caller, agent) {
      if (!alive || !child?.stdin) return;
      for (const frame of agent) {
        const joined = new Int16Array(agentBuffer.length + frame.length);
        joined.set(agentBuffer);
        joined.set(frame, agentBuffer.length);
        agentBuffer = joined;
      }
      const stereo = new Int16Array(caller.length * 2);
      for (let i = 0; i < caller.length; i++) {
        stereo[2 * i] = caller[i]!;
        stereo[2 * i + 1] = agentBuffer[i] ?? 0;
      }
      agentBuffer = agentBuffer.slice(Math.min(agentBuffer.length, caller.length));
      child.stdin.write(Buffer.from(stereo.buffer, stereo.byteOffset, stereo.byteLength));
    },
    close() {
      alive = false;
      child?.stdin?.end();
    },
  };
}
