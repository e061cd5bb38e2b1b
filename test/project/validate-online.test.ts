// `validate --online` checks against the ElevenLabs mock (the real SDK over loopback HTTP): keys resolved as
// createProviders resolves them, the key accepted, every voice id in the account, each problem at its field.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAgent, type Diagnostic } from '../../runtime/dsl/index.js';
import { listElevenLabsVoices } from '../../runtime/providers/elevenlabs/index.js';
import { checkAgentOnline } from '../../runtime/project/validate-online.js';
import { startElevenLabsMock, type ElevenLabsMock } from '../mocks/elevenlabs-server.js';

let mock: ElevenLabsMock;
beforeEach(async () => {
  mock = await startElevenLabsMock({ apiKey: 'el-key' });
});
afterEach(async () => {
  await mock.close();
});

const KEYS = { OPENAI_API_KEY: 'sk-test', ELEVENLABS_API_KEY: 'el-key' };

/** A cascade agent on ElevenLabs; `voice` replaces the voice section's lines. */
function agentYaml(voice: string, extra = ''): string {
  return `apiVersion: voiceagent/v1
name: online
inference:
  mode: cascade
stt: { provider: openai, model: gpt-4o-mini-transcribe }
models:
  main: { provider: openai, model: gpt-5.4-nano }
  onprem: { provider: openai-compatible, baseURL: 'http://127.0.0.1:11434/v1', model: llama3.2 }
voice:
${voice}
languages: { default: en, supported: [en, es, fr] }
secrets:
  openai: \${env:OPENAI_API_KEY}
  elevenlabs: \${env:ELEVENLABS_API_KEY}
${extra}prompt:
  system: Be brief.
`;
}

async function check(yaml: string, env: Record<string, string | undefined> = KEYS, calls: string[] = []): Promise<Diagnostic[]> {
  const loaded = loadAgent({ file: 'agent.yaml', text: yaml });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return checkAgentOnline('agent.yaml', yaml, loaded.spec!, {
    env,
    listVoices: (target) => {
      calls.push(target.apiKey);
      return listElevenLabsVoices({ ...target, timeoutS: 5 });
    },
  });
}

/** `line:col code path` for compact assertions. */
const brief = (d: Diagnostic) => `${d.line}:${d.column} ${d.code} ${d.path}`;

describe('checkAgentOnline', () => {
  it('passes an agent whose keys are set and whose voices are in the account', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    expect(await check(agentYaml(voice))).toEqual([]);
  });

  it('reports a voice given by name with the id to use, and a mistyped id with the closest one', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: voice-a, es: bob, fr: voice-c }`;
    const found = await check(agentYaml(voice));
    expect(found.map(brief)).toEqual(['12:30 unknown-voice voice.voices.es', '12:39 unknown-voice voice.voices.fr']);
    expect(found[0]).toMatchObject({ severity: 'error', message: '`voice.voices.es`: `bob` is not a voice this ElevenLabs key can use', hint: '`bob` is the name of the voice `voice-b`: give its id' });
    expect(found[1]!.hint).toMatch(/^did you mean `voice-[ab]`\?$/);
  });

  it('lists the account voices when nothing is close', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: 21m00Tcm4TlvDq8ikWAM, es: voice-b, fr: voice-a }`;
    const [found] = await check(agentYaml(voice));
    expect(found!.hint).toBe('voices of this key: Alice (`voice-a`), Bob (`voice-b`)');
  });

  it('checks the fallback voice when it is ElevenLabs too, with the voice key', async () => {
    const voice = `  provider: local\n  baseURL: ${mock.baseURL}\n  voices: { en: en-us, es: es, fr: fr }\n  fallback: { provider: elevenlabs, voices: { en: voice-a, es: Alice, fr: voice-b } }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), KEYS, calls);
    expect(found.map(brief)).toEqual(['13:64 unknown-voice voice.fallback.voices.es']);
    expect(calls).toEqual(['el-key']);
  });

  it('a refused key is reported at the field it comes from, naming the variable', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const found = await check(agentYaml(voice), { ...KEYS, ELEVENLABS_API_KEY: 'revoked' });
    expect(found.map(brief)).toEqual(['16:15 online secrets.elevenlabs']);
    expect(found[0]!.message).toMatch(/^ElevenLabs refused the key in ELEVENLABS_API_KEY \(`secrets\.elevenlabs`\): .*HTTP 401/);
  });

  it('an own `voice.apiKey` is used and blamed instead of `secrets.elevenlabs`', async () => {
    const voice = `  provider: elevenlabs\n  apiKey: \${env:VOICE_KEY}\n  baseURL: ${mock.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), { ...KEYS, VOICE_KEY: 'wrong' }, calls);
    expect(calls).toEqual(['wrong']);
    expect(found.map(brief)).toEqual(['11:11 online voice.apiKey']);
  });

  it('reports each unset variable once, where it is referenced, and skips the voices without a key', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: nobody, es: voice-b, fr: voice-a }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), { OPENAI_API_KEY: ' ' }, calls);
    // stt and models.main share `secrets.openai`: one problem; the openai-compatible profile needs no key.
    expect(found.map(brief)).toEqual(['15:11 missing-secret secrets.openai', '16:15 missing-secret secrets.elevenlabs']);
    expect(found[0]!.message).toContain('environment variable OPENAI_API_KEY is empty (referenced by `secrets.openai`)');
    expect(found[1]!.message).toContain('environment variable ELEVENLABS_API_KEY is not set');
    expect(found.every((d) => !d.message.includes('agent.yaml'))).toBe(true);
    expect(calls).toEqual([]);
  });

  it('a provider without any key reference is reported at its section', async () => {
    const yaml = agentYaml(`  provider: elevenlabs\n  baseURL: ${mock.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`).replace(/secrets:\n.*\n.*\n/, '');
    const found = await check(yaml, KEYS);
    expect(found.map(brief)).toEqual(['5:6 missing-secret stt', '7:9 missing-secret models.main', '10:3 missing-secret voice']);
    expect(found[2]!.message).toContain('`voice.apiKey` is not set, and this provider needs a key');
  });

  it('an unreachable endpoint is an error at the voice provider, not a crash', async () => {
    const closed = mock.baseURL;
    await mock.close();
    mock = await startElevenLabsMock({ apiKey: 'el-key' });
    const voice = `  provider: elevenlabs\n  baseURL: ${closed}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const found = await check(agentYaml(voice));
    expect(found.map(brief)).toEqual(['10:13 online voice.provider']);
    expect(found[0]!.message).toMatch(/^could not list the ElevenLabs voices at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });
});
