/*
 * The shared registry suite on the file registry: each test gets an empty data folder; a second `open` is a
 * second handle on the same folder, as a second process would have (no state shared in memory).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFileRegistry } from '../../runtime/registry/file-registry.js';
import { receptionistRevision } from './agent-versions.js';
import { registrySuite } from './registry-suite.js';

const dirs: string[] = [];
const fresh = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'va-registry-'));
  dirs.push(dir);
  return { open: (options: { now?: () => Date } = {}) => createFileRegistry({ dir, ...options }) };
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

registrySuite('file', fresh);

describe('file registry layout', () => {
  it('keeps versions, history and the pointer as plain files, and leaves no temporary or lock file behind', async () => {
    const { open } = await fresh();
    const registry = open();
    const a = await registry.push(receptionistRevision(1));
    await registry.activate('receptionist', 'production', a.id, { expected: null, reason: 'deploy' });
    const root = join(dirs.at(-1)!, 'registry');
    expect(readdirSync(join(root, 'versions', 'receptionist'))).toEqual([`${a.id}.json`]);
    expect(readdirSync(join(root, 'envs', 'production', 'receptionist')).sort()).toEqual(['active.json', 'history']);
    expect(readdirSync(join(root, 'envs', 'production', 'receptionist', 'history'))).toEqual(['00000001.json']);
    await registry.close();
  });
});
