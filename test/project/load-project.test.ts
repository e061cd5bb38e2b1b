import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectFile, loadProject } from '../../runtime/project/load-project.js';

const load = (text: string) => loadProject({ file: 'voiceagent.yaml', text });

describe('loadProject', () => {
  it('applies defaults to a minimal project file', () => {
    const result = load('apiVersion: voiceagent/v1\n');
    expect(result.diagnostics).toEqual([]);
    expect(result.ok && result.project).toEqual({ apiVersion: 'voiceagent/v1', agents: 'agents', scenarios: 'scenarios', environments: {} });
    expect(Object.isFrozen(result.project)).toBe(true);
  });

  it('resolves the folders against the project file', () => {
    const result = loadProject({ file: '/work/p/voiceagent.yaml', text: 'apiVersion: voiceagent/v1\nagents: voice/agents\n' });
    expect(result.ok && result.dirs).toEqual({ root: '/work/p', agents: '/work/p/voice/agents', scenarios: '/work/p/scenarios' });
  });

  it('accepts environments with URLs and ${env:...} tokens', () => {
    const result = load(`apiVersion: voiceagent/v1
environments:
  staging: { url: 'https://voice-staging.example.com', token: '\${env:STAGING_TOKEN}', description: Team test line }
  local: { url: 'http://127.0.0.1:8787' }
defaultEnvironment: staging
`);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok && result.project.environments.staging?.token).toBe('${env:STAGING_TOKEN}');
  });

  it('rejects a literal token, pointing at it, with the ${env:...} fix', () => {
    const result = load(`apiVersion: voiceagent/v1
environments:
  prod:
    url: https://voice.example.com
    token: hunter2-very-secret
`);
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ line: 5, column: 12, code: 'pattern', path: 'environments.prod.token' });
    expect(result.diagnostics[0]?.hint).toContain('${env:');
  });

  it('reports unknown keys with a did-you-mean, and a URL that is not http(s)', () => {
    const result = load(`apiVersion: voiceagent/v1
agent: agents
environments:
  prod: { url: 'ftp://example.com' }
`);
    expect(result.ok).toBe(false);
    const [unknown, url] = result.diagnostics;
    expect(unknown).toMatchObject({ line: 2, column: 1, code: 'unknown-key', hint: 'did you mean `agents`?' });
    expect(url).toMatchObject({ line: 4, path: 'environments.prod.url', code: 'pattern', message: '`environments.prod.url` must be an http:// or https:// URL' });
  });

  it('checks that defaultEnvironment names an environment', () => {
    const result = load(`apiVersion: voiceagent/v1
environments:
  staging: { url: 'https://s.example.com' }
defaultEnvironment: stagin
`);
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ line: 4, column: 21, code: 'reference', path: 'defaultEnvironment', hint: 'did you mean `staging`?' }),
    ]);
  });

  it('rejects bad environment names and a missing url', () => {
    const result = load(`apiVersion: voiceagent/v1
environments:
  Prod_1: { url: 'https://p.example.com' }
  dev: { description: no url }
`);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => [d.line, d.code])).toEqual([
      [3, 'pattern'],
      [4, 'required'],
    ]);
  });

  it('returns diagnostics instead of throwing for YAML errors, non-mappings and missing files', () => {
    expect(load('apiVersion: [').diagnostics[0]?.code).toBe('yaml-syntax');
    expect(load('- a\n- b\n').diagnostics[0]?.code).toBe('not-a-mapping');
    const missing = loadProject({ file: join(tmpdir(), 'no-such-dir-voiceagent', 'voiceagent.yaml') });
    expect(missing).toMatchObject({ ok: false, diagnostics: [{ code: 'io-error', line: 0 }] });
    expect(missing.diagnostics[0]?.hint).toContain('voiceagent init');
  });
});

describe('findProjectFile', () => {
  const root = mkdtempSync(join(tmpdir(), 'voiceagent-find-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds voiceagent.yaml in the folder or above it', () => {
    mkdirSync(join(root, 'agents', 'nested'), { recursive: true });
    expect(findProjectFile(join(root, 'agents', 'nested'))).not.toBe(join(root, 'voiceagent.yaml'));
    writeFileSync(join(root, 'voiceagent.yaml'), 'apiVersion: voiceagent/v1\n');
    expect(findProjectFile(join(root, 'agents', 'nested'))).toBe(join(root, 'voiceagent.yaml'));
    expect(findProjectFile(root)).toBe(join(root, 'voiceagent.yaml'));
  });
});
