import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { backchannelsFor, loadAgent, type AgentSpec } from '../../runtime/dsl/index.js';

const AGENTS = fileURLToPath(new URL('../../agents/', import.meta.url));

const MINIMAL = `apiVersion: voiceagent/v1
name: minimal
inference:
  mode: dualplex
  realtime: { provider: openai }
voice:
  provider: elevenlabs
  voices: { en: voice-en }
prompt:
  system: You are a test agent.
`;

/** Loads text that must be valid and returns its spec, failing with the diagnostics otherwise. */
function specOf(text: string): AgentSpec {
  const result = loadAgent({ file: 'agent.yaml', text });
  expect(result.diagnostics).toEqual([]);
  if (!result.ok) throw new Error('not ok');
  return result.spec;
}

describe('loadAgent on valid agents', () => {
  const shipped = readdirSync(AGENTS).filter((name) => /\.ya?ml$/.test(name));

  it('ships at least one example agent', () => {
    expect(shipped.length).toBeGreaterThan(0);
  });

  it.each(shipped)('agents/%s loads without diagnostics', (name) => {
    const result = loadAgent({ file: join(AGENTS, name) });
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('loads a minimal agent: the five required sections', () => {
    const spec = specOf(MINIMAL);
    expect(spec.name).toBe('minimal');
    expect(spec.inference).toEqual({ mode: 'dualplex', realtime: { provider: 'openai', model: 'gpt-realtime', transcriptionModel: 'gpt-4o-mini-transcribe', turnDetection: 'local' } });
  });

  it('reads the file when no text is given, and hashes the text', () => {
    const file = join(AGENTS, 'receptionist.yaml');
    const fromDisk = loadAgent({ file });
    const fromText = loadAgent({ file, text: readFileSync(file, 'utf8') });
    expect(fromDisk.ok).toBe(true);
    expect(fromDisk.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(fromDisk.sourceHash).toBe(fromText.sourceHash);
    expect(loadAgent({ file, text: MINIMAL }).sourceHash).not.toBe(fromDisk.sourceHash);
  });
});

describe('defaults', () => {
  const spec = specOf(MINIMAL);

  it('fills in barge-in defaults', () => {
    expect(spec.bargeIn.pauseAfterMs).toBe(80);
    expect(spec.bargeIn.onSpeechStart).toBe('pause');
    expect(spec.bargeIn.confirm).toEqual({ minSpeechMs: 250, minWords: 1, minConfidence: 0.6, serverVad: true });
    // No changes to the built-in backchannels; the list of the call's language comes from them.
    expect(spec.bargeIn.backchannels).toEqual([]);
    expect(backchannelsFor(spec, 'en')).toContain('uh-huh');
    expect(spec.bargeIn.interruptPhrases).toContain('stop');
  });

  it('fills in turn-taking, echo, prompt and offline defaults', () => {
    expect(spec.turnTaking.vad).toEqual({
      engine: 'webrtc',
      threshold: 0.5,
      minSpeechMs: 60,
      noiseGate: { enabled: true, marginDb: 9, holdMarginDb: 3, windowMs: 3000, floorPercentile: 0.2 },
    });
    expect(spec.turnTaking.endpointing).toEqual({ minSilenceMs: 300, maxSilenceMs: 1200, textCues: true });
    expect(spec.turnTaking.callerSilence).toEqual({ repromptAfterMs: 8000, hangupAfterMs: 25000 });
    expect(spec.echo).toEqual({ mode: 'reference-gated', tailMs: 300, marginDb: 6 });
    expect(spec.prompt.reprompt).toBe('Are you still there?');
    expect(spec.prompt.instructions).toEqual({});
    expect(spec.offline).toMatchObject({ replies: [], ttftMs: 200, tokensPerSecond: 40 });
    expect(spec.models).toEqual({});
    expect(spec.routing).toEqual([]);
    expect(spec.secrets).toEqual({});
  });

  it('defaults languages.supported to [default] and stt.languageHints to supported', () => {
    expect(spec.languages.default).toBe('en');
    expect(spec.languages.supported).toEqual(['en']);
    expect(spec.stt.languageHints).toEqual(['en']);
  });

  it('takes stt.languageHints from an explicit supported list, and keeps explicit hints', () => {
    const multilingual = MINIMAL.replace('voices: { en: voice-en }', 'voices: { en: voice-en, fr: voice-fr }');
    const supported = specOf(`${multilingual}languages: { default: fr, supported: [fr, en] }\n`);
    expect(supported.languages.supported).toEqual(['fr', 'en']);
    expect(supported.stt.languageHints).toEqual(['fr', 'en']);
    const hinted = specOf(`${multilingual}languages: { supported: [en, fr] }\nstt: { languageHints: [fr] }\n`);
    expect(hinted.stt.languageHints).toEqual(['fr']);
  });

  it('defaults stt.turnDetection to local (our VAD commits the audio), and keeps an explicit choice', () => {
    expect(spec.stt.model).toBe('gpt-4o-mini-transcribe');
    expect(spec.stt.turnDetection).toBe('local');
    expect(specOf(`${MINIMAL}stt: { model: gpt-live-transcribe }\n`).stt.turnDetection).toBe('local');
    expect(specOf(`${MINIMAL}stt: { model: gpt-4o-transcribe, turnDetection: server_vad }\n`).stt.turnDetection).toBe('server_vad');
  });

  it('defaults the ElevenLabs model only for ElevenLabs voices', () => {
    expect(spec.voice.model).toBe('eleven_flash_v2_5');
    expect(spec.voice.settings).toEqual({ stability: 0.5, similarityBoost: 0.75, style: 0, useSpeakerBoost: true, speed: 1 });
    const local = specOf(MINIMAL.replace('provider: elevenlabs', 'provider: local'));
    expect(local.voice.model).toBeUndefined();
  });

  it('fills in model profile defaults', () => {
    const cascade = specOf(MINIMAL.replace('mode: dualplex\n  realtime: { provider: openai }', 'mode: cascade') + 'models:\n  fast: { provider: openai, model: gpt-5.4-nano }\n');
    expect(cascade.models.fast).toEqual({ provider: 'openai', model: 'gpt-5.4-nano', temperature: 0.7, maxOutputTokens: 400, firstTokenTimeoutMs: 1500 });
  });
});

describe('the spec', () => {
  it('is deeply frozen', () => {
    const spec = specOf(MINIMAL);
    const unfrozen: string[] = [];
    const walk = (value: unknown, path: string) => {
      if (value === null || typeof value !== 'object') return;
      if (!Object.isFrozen(value)) unfrozen.push(path || '(root)');
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
    };
    walk(spec, '');
    expect(unfrozen).toEqual([]);
    // ESM modules are strict, so writing to a frozen object throws instead of being ignored.
    expect(() => {
      (spec.bargeIn.confirm as { minSpeechMs: number }).minSpeechMs = 1;
    }).toThrow(TypeError);
    expect(() => (spec.bargeIn.backchannels as string[]).push('hmm')).toThrow(TypeError);
  });
});

describe('loadAgent problems', () => {
  const dir = mkdtempSync(join(tmpdir(), 'voiceagent-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing file as an io-error without a position', () => {
    const file = join(dir, 'missing.yaml');
    const result = loadAgent({ file });
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toEqual([
      { file, line: 0, column: 0, severity: 'error', code: 'io-error', path: '', message: 'cannot read agent file: no such file' },
    ]);
  });

  it('reports a folder given as a file as an io-error', () => {
    const result = loadAgent({ file: dir });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['io-error']);
  });

  it('does not run schema checks on text with syntax errors', () => {
    const result = loadAgent({ file: 'a.yaml', text: 'name: [oops\nbargeIn: 5\n' });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['yaml-syntax']);
  });

  it('does not mistake a capture pattern in a slot called `password` for a literal key', () => {
    const text = `${MINIMAL}offline:\n  replies:\n    - say: Thanks.\n      capture: { password: '[A-Za-z0-9]{8,20}' }\n`;
    expect(loadAgent({ file: 'a.yaml', text }).ok).toBe(true);
  });

  it('accepts environment references for every credential', () => {
    const text = `${MINIMAL}secrets: { openai: '\${env:OPENAI_API_KEY}' }\nmodels:\n  fast: { provider: openai, model: m, apiKey: '\${env:OPENAI_API_KEY}' }\n`;
    expect(loadAgent({ file: 'a.yaml', text }).ok).toBe(true);
  });

  it('tells how to write a near-miss reference, and still calls a key a key whatever wraps it', () => {
    const near = (value: string) => loadAgent({ file: 'a.yaml', text: `${MINIMAL}secrets: { openai: '${value}' }\n` }).diagnostics;
    for (const value of ['${OPENAI_API_KEY}', '$OPENAI_API_KEY', '${ENV:OPENAI_API_KEY}', '${env.OPENAI_API_KEY}', '${env:OPENAI_API_KEY']) {
      expect(near(value), value).toEqual([expect.objectContaining({ code: 'pattern', line: 11, column: 20, hint: 'write `${env:OPENAI_API_KEY}`' })]);
    }
    const key = `sk-proj-${'a1B2'.repeat(8)}`;
    expect(near(`\${${key}}`)).toEqual([expect.objectContaining({ code: 'literal-secret', line: 11 })]);
  });

  it('never throws and always gives a position, whatever shape a field has', () => {
    const base = parse(readFileSync(join(AGENTS, 'receptionist.yaml'), 'utf8')) as Record<string, unknown>;
    // Nothing, and a list of mixed items: wrong almost everywhere, and the shapes the accessors must survive.
    const wrongValues: unknown[] = [null, [1, 'a']];
    const paths: (string | number)[][] = [];
    const collect = (node: unknown, path: (string | number)[]) => {
      if (path.length) paths.push(path);
      // The first item of a list stands for the others: same checks, a fraction of the time.
      if (Array.isArray(node)) collect(node[0], [...path, 0]);
      else if (node && typeof node === 'object') for (const [key, child] of Object.entries(node)) collect(child, [...path, key]);
    };
    collect(base, []);
    for (const path of paths) {
      for (const value of wrongValues) {
        const copy = structuredClone(base);
        let parent = copy as Record<string | number, unknown>;
        for (const segment of path.slice(0, -1)) parent = parent[segment] as Record<string | number, unknown>;
        parent[path[path.length - 1]!] = value;
        const result = loadAgent({ file: 'a.yaml', text: stringify(copy) });
        for (const d of result.diagnostics) {
          expect(d.line, `${path.join('.')} = ${JSON.stringify(value)}: ${d.message}`).toBeGreaterThanOrEqual(1);
          expect(d.column).toBeGreaterThanOrEqual(1);
        }
      }
    }
  });
});
