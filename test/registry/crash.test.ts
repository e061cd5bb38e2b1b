/*
 * A server is killed with `kill -9` in the middle of a deploy, 50 times. The deploying process pushes and
 * activates new versions in a loop and is killed at a random instant (often between its two atomic writes, or
 * halfway through one). After every kill the registry, opened afresh, must load; its active version must be the
 * one active before the interrupted deploy or the one that deploy was making active, never anything else; that
 * version must be complete (its id is the hash of its stored chart); the history must end at it; and the next
 * deployer must get through (a lock left by the dead process is recovered).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createFileRegistry } from '../../runtime/registry/file-registry.js';
import { versionIdOf } from '../../runtime/registry/version-id.js';
import { receptionistRevision } from './agent-versions.js';

const KILLS = 50;
const dir = mkdtempSync(join(tmpdir(), 'va-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs one deployer, kills it `killAfterMs` after it is ready; the last `plan` and `done` lines it printed. */
function deployUntilKilled(inputFile: string, first: number, killAfterMs: number): Promise<{ plans: string[]; dones: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', new URL('./crash-deployer.ts', import.meta.url).pathname, dir, inputFile, String(first)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!timer && out.startsWith('ready\n')) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') return reject(new Error(`the deployer stopped by itself:\n${err}`));
      const lines = out.split('\n');
      resolve({ plans: lines.filter((l) => l.startsWith('plan ')).map((l) => l.slice(5)), dones: lines.filter((l) => l.startsWith('done ')).map((l) => l.slice(5)) });
    });
  });
}

it('kill -9 at random points of 50 deploys: the registry loads and serves the old or the new version, whole', { timeout: 90_000 }, async () => {
  const inputFile = join(dir, 'input.json');
  writeFileSync(inputFile, JSON.stringify(receptionistRevision(0)));
  let lastDone: string | undefined;
  let midDeploy = 0;
  let random = 0x2545f491;
  const nextRandom = () => ((random = (random * 1103515245 + 12345) & 0x7fffffff), random / 0x7fffffff);
  for (let kill = 0; kill < KILLS; kill++) {
    const { plans, dones } = await deployUntilKilled(inputFile, kill * 100_000, Math.floor(nextRandom() * 120));
    const inFlight = plans.length > dones.length ? plans.at(-1) : undefined;
    if (dones.length > 0) lastDone = dones.at(-1);
    if (inFlight) midDeploy++;

    const registry = createFileRegistry({ dir });
    const active = await registry.active('receptionist', 'production');
    const allowed = [lastDone, inFlight].filter((v) => v !== undefined);
    if (allowed.length === 0) expect(active).toBeUndefined();
    else expect(allowed).toContain(active);
    if (active) {
      const version = await registry.version('receptionist', active);
      expect(version).toBeDefined();
      expect(versionIdOf(version!.compiled)).toBe(active);
      expect(version!.source).toContain('crash revision');
      const history = await registry.history('receptionist', 'production');
      expect(history.at(-1)!.version).toBe(active);
      expect(history.map((h) => h.seq)).toEqual(history.map((_, i) => i + 1));
      // The deploy that was cut off may still have completed its activation: it counts as done.
      lastDone = active;
    }
    // Every stored version is whole (a listing reads each file).
    for (const summary of await registry.versions('receptionist')) expect(summary.id).toMatch(/^v[0-9a-f]{12}$/);
    await registry.close();
  }
  // Most kills land inside a deploy (the loop does little else); if none did, the test proved nothing.
  expect(midDeploy).toBeGreaterThan(KILLS / 5);
});
