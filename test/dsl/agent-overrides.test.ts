/*
 * A scenario's `agentOverrides` change the agent for that scenario only: merged key by key over the agent
 * file before it is checked, so `{ echo: { tailMs: 800 } }` changes one field and keeps the rest of `echo`,
 * a list replaces the agent's list, and neither the file's data nor the scenario's is touched.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeOverrides, parseDottedPath } from '../../runtime/dsl/agent-overrides.js';
import { loadAgent } from '../../runtime/dsl/index.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const AGENT = join(packageRoot(), 'agents', 'receptionist.yaml');

describe('mergeOverrides', () => {
  it('merges mappings key by key, replaces lists and values, and changes neither input', () => {
    const base = { echo: { mode: 'reference-gated', tailMs: 300 }, languages: { supported: ['en', 'fr'] }, name: 'a' };
    const overrides = { echo: { tailMs: 800 }, languages: { supported: ['en'] }, name: 'b' };
    const merged = mergeOverrides(base, overrides);
    expect(merged).toEqual({ echo: { mode: 'reference-gated', tailMs: 800 }, languages: { supported: ['en'] }, name: 'b' });
    expect(base.echo.tailMs).toBe(300);
    (merged.languages as { supported: string[] }).supported.push('de');
    expect(overrides.languages.supported).toEqual(['en']);
  });
});

describe('parseDottedPath', () => {
  it('reads the paths diagnostics carry', () => {
    expect(parseDottedPath('routing[0].use')).toEqual(['routing', 0, 'use']);
    expect(parseDottedPath('')).toEqual([]);
  });
});

describe('loadAgent with overrides', () => {
  it('loads the agent file with the overrides merged in, defaults applied, and a different source hash', () => {
    const plain = loadAgent({ file: AGENT });
    const changed = loadAgent({ file: AGENT, overrides: { echo: { tailMs: 1000 }, bargeIn: { onSpeechStart: 'duck' } } });
    expect(plain.ok && changed.ok).toBe(true);
    if (!plain.ok || !changed.ok) return;
    expect(plain.spec.echo.tailMs).toBe(800);
    expect(changed.spec.echo).toMatchObject({ mode: 'reference-gated', tailMs: 1000 });
    expect(changed.spec.bargeIn.onSpeechStart).toBe('duck');
    expect(changed.spec.bargeIn.pauseAfterMs).toBe(plain.spec.bargeIn.pauseAfterMs);
    expect(changed.sourceHash).not.toBe(plain.sourceHash);
  });

  it('holds the merged agent to every rule of an agent file', () => {
    const loaded = loadAgent({ file: AGENT, overrides: { echo: { tailMs: 5000 } } });
    expect(loaded.ok).toBe(false);
    expect(loaded.diagnostics.map((d) => `${d.code} ${d.path}`)).toEqual(['range echo.tailMs']);
  });
});
