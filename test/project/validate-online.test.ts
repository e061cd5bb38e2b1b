// `validate --online` checks against the ElevenLabs mock (the real SDK over loopback HTTP): keys resolved as
// createProviders resolves them, the key accepted, every voice id in the account, each problem at its field.
import { describe, expect, it } from 'vitest';
import { loadAgent, type Diagnostic } from '../../runtime/dsl/index.js';
import { listElevenLabsVoices } from '../../runtime/providers/elevenlabs/index.js';
import { listOpenAiModels } from '../../runtime/providers/openai/chat-llm.js';
import { checkAgentOnline } from '../../runtime/project/validate-online.js';
import { startElevenLabsMock } from '../mocks/elevenlabs-server.js';
import { startMockChatServer } from '../mocks/openai-chat-server.js';
import { useProviderMocks } from '../mocks/provider-mocks.js';

const m = useProviderMocks();

/** A URL where nothing listens (a mock started and closed). */
async function closedURL(): Promise<string> {
  const gone = await startMockChatServer();
  await gone.close();
  return gone.baseURL;
}

const KEYS = { OPENAI_API_KEY: 'sk-test', ELEVENLABS_API_KEY: 'el-key' };

/** A cascade agent on the OpenAI and ElevenLabs mocks; `voice` replaces the voice section's lines. */
function agentYaml(voice: string, models = `  main: { provider: openai, baseURL: '${m.openai.baseURL}', model: gpt-5.4-nano }`): string {
  return `apiVersion: voiceagent/v1
name: online
inference:
  mode: cascade
stt: { provider: openai, baseURL: '${m.openai.baseURL}', model: gpt-4o-mini-transcribe }
models:
${models}
voice:
${voice}
languages: { default: en, supported: [en, es, fr] }
secrets:
  openai: \${env:OPENAI_API_KEY}
  elevenlabs: \${env:ELEVENLABS_API_KEY}
prompt:
  system: Be brief.
`;
}

/** Only loopback: a test must never reach a real provider. */
function loopback(baseURL: string | undefined): string {
  expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  return baseURL!;
}

async function check(yaml: string, env: Record<string, string | undefined> = KEYS, calls: string[] = []): Promise<Diagnostic[]> {
  const loaded = loadAgent({ file: 'agent.yaml', text: yaml });
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return checkAgentOnline('agent.yaml', yaml, loaded.spec!, {
    env,
    listVoices: (target) => {
      calls.push(`voices ${target.apiKey}`);
      return listElevenLabsVoices({ ...target, baseURL: loopback(target.baseURL), timeoutS: 5 });
    },
    listModels: (target) => {
      calls.push(`models ${target.apiKey ?? '(no key)'} ${target.baseURL}`);
      return listOpenAiModels({ ...target, baseURL: loopback(target.baseURL), timeoutMs: 5000 });
    },
  });
}

/** `line:col` of the first `needle` in `yaml` (columns after a mock's URL depend on its port). */
function pos(yaml: string, needle: string): string {
  const lines = yaml.split('\n');
  const line = lines.findIndex((text) => text.includes(needle));
  expect(line).toBeGreaterThanOrEqual(0);
  return `${line + 1}:${lines[line]!.indexOf(needle) + 1}`;
}

/** `line:col code path` for compact assertions. */
const brief = (d: Diagnostic) => `${d.line}:${d.column} ${d.code} ${d.path}`;

describe('checkAgentOnline', () => {
  it('passes an agent whose keys are set and whose voices are in the account', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    expect(await check(agentYaml(voice))).toEqual([]);
  });

  it('reports a voice given by name with the id to use, and a mistyped id with the closest one', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: bob, fr: voice-c }`;
    const found = await check(agentYaml(voice));
    expect(found.map(brief)).toEqual(['11:30 unknown-voice voice.voices.es', '11:39 unknown-voice voice.voices.fr']);
    expect(found[0]).toMatchObject({ severity: 'error', message: '`voice.voices.es`: `bob` is not a voice this ElevenLabs key can use', hint: '`bob` is the name of the voice `voice-b`: give its id' });
    expect(found[1]!.hint).toMatch(/^did you mean `voice-[ab]`\?$/);
  });

  it('lists the account voices when nothing is close', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: 21m00Tcm4TlvDq8ikWAM, es: voice-b, fr: voice-a }`;
    const [found] = await check(agentYaml(voice));
    expect(found!.hint).toBe('voices of this key: Alice (`voice-a`), Bob (`voice-b`)');
  });

  it('checks the fallback voice when it is ElevenLabs too, with the voice key', async () => {
    const voice = `  provider: local\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: en-us, es: es, fr: fr }\n  fallback: { provider: elevenlabs, voices: { en: voice-a, es: Alice, fr: voice-b } }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), KEYS, calls);
    expect(found.map(brief)).toEqual(['12:64 unknown-voice voice.fallback.voices.es']);
    expect(calls.filter((call) => call.startsWith('voices'))).toEqual(['voices el-key']);
  });

  it('a refused key is reported at the field it comes from, naming the variable', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const found = await check(agentYaml(voice), { ...KEYS, ELEVENLABS_API_KEY: 'revoked' });
    expect(found.map(brief)).toEqual(['15:15 online secrets.elevenlabs']);
    expect(found[0]!.message).toMatch(/^ElevenLabs refused the key in ELEVENLABS_API_KEY \(`secrets\.elevenlabs`\): .*HTTP 401/);
  });

  it('an own `voice.apiKey` is used and blamed instead of `secrets.elevenlabs`', async () => {
    const voice = `  provider: elevenlabs\n  apiKey: \${env:VOICE_KEY}\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), { ...KEYS, VOICE_KEY: 'wrong' }, calls);
    expect(calls.filter((call) => call.startsWith('voices'))).toEqual(['voices wrong']);
    expect(found.map(brief)).toEqual(['10:11 online voice.apiKey']);
  });

  it('reports each unset variable once, where it is referenced, and skips the voices without a key', async () => {
    const voice = `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: nobody, es: voice-b, fr: voice-a }`;
    const calls: string[] = [];
    const found = await check(agentYaml(voice), { OPENAI_API_KEY: ' ' }, calls);
    // stt and models.main share `secrets.openai`: one problem.
    expect(found.map(brief)).toEqual(['14:11 missing-secret secrets.openai', '15:15 missing-secret secrets.elevenlabs']);
    expect(found[0]!.message).toContain('environment variable OPENAI_API_KEY is empty (referenced by `secrets.openai`)');
    expect(found[1]!.message).toContain('environment variable ELEVENLABS_API_KEY is not set');
    expect(found.every((d) => !d.message.includes('agent.yaml'))).toBe(true);
    expect(calls).toEqual([]);
  });

  it('a provider without any key reference is reported at its section', async () => {
    const yaml = agentYaml(`  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`).replace(/secrets:\n.*\n.*\n/, '');
    const found = await check(yaml, KEYS);
    expect(found.map(brief)).toEqual(['5:6 missing-secret stt', '7:9 missing-secret models.main', '9:3 missing-secret voice']);
    expect(found[2]!.message).toContain('`voice.apiKey` is not set, and this provider needs a key');
  });

  it('an unreachable endpoint is an error at the voice provider, not a crash', async () => {
    const closed = m.elevenlabs.baseURL;
    await m.elevenlabs.close();
    m.elevenlabs = await startElevenLabsMock({ apiKey: 'el-key' });
    const voice = `  provider: elevenlabs\n  baseURL: ${closed}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;
    const found = await check(agentYaml(voice));
    expect(found.map(brief)).toEqual(['9:13 online voice.provider']);
    expect(found[0]!.message).toMatch(/^could not list the ElevenLabs voices at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  describe('models', () => {
    const VOICE = () => `  provider: elevenlabs\n  baseURL: ${m.elevenlabs.baseURL}\n  voices: { en: voice-a, es: voice-b, fr: voice-a }`;

    it('reports a model id the endpoint does not offer, with the closest one, after one listing per endpoint and key', async () => {
      const yaml = agentYaml(VOICE(), `  main: { provider: openai, baseURL: '${m.openai.baseURL}', model: gpt-5.4-mino }`);
      const found = await check(yaml);
      expect(found.map(brief)).toEqual([`${pos(yaml, 'gpt-5.4-mino')} unknown-model models.main.model`]);
      expect(found[0]).toMatchObject({ message: `\`gpt-5.4-mino\` is not a model of ${m.openai.baseURL} for this key`, hint: 'did you mean `gpt-5.4-nano`?' });
      // stt and models.main: same endpoint, same key (`secrets.openai`).
      expect(m.openai.requests.map((r) => `${r.method} ${r.path} ${r.authorization}`)).toEqual(['GET /v1/models Bearer sk-test']);
    });

    it('a refused OpenAI key is reported once, at the reference', async () => {
      const found = await check(agentYaml(VOICE()), { ...KEYS, OPENAI_API_KEY: 'sk-revoked' });
      expect(found.map(brief)).toEqual(['14:11 online secrets.openai']);
      expect(found[0]!.message).toMatch(new RegExp(`^${m.openai.baseURL.replace(/[.]/g, '\\.')} refused the key in OPENAI_API_KEY \\(\`secrets\\.openai\`\\): .*401`));
    });

    it('a key-less openai-compatible server is listed without a key; unreachable, it is only a warning', async () => {
      const local = await startMockChatServer({ apiKey: null, models: ['llama3.2'] });
      try {
        const down = await closedURL();
        const models = [
          `  main: { provider: openai, baseURL: '${m.openai.baseURL}', model: gpt-5.4-nano, fallback: local }`,
          `  local: { provider: openai-compatible, baseURL: '${local.baseURL}', model: llama3.1 }`,
          `  onprem: { provider: openai-compatible, baseURL: '${down}', model: llama3.2 }`,
        ].join('\n');
        const calls: string[] = [];
        const yaml = agentYaml(VOICE(), models);
        const found = await check(yaml, KEYS, calls);
        expect(found.map((d) => `${brief(d)} ${d.severity}`)).toEqual([`${pos(yaml, 'llama3.1')} unknown-model models.local.model error`, `${pos(yaml, `'${down}'`)} online models.onprem.baseURL warning`]);
        expect(found[0]!.hint).toBe('did you mean `llama3.2`?');
        expect(found[1]!.message).toMatch(/^could not list the models at http:\/\/127\.0\.0\.1:\d+\/v1: .*ECONNREFUSED/);
        expect(calls).toContain(`models (no key) ${local.baseURL}`);
        expect(local.violations).toEqual([]); // no Authorization header went to it
      } finally {
        await local.close();
      }
    });

    it('an unreachable OpenAI endpoint is an error at its baseURL; one that does not list models is a warning', async () => {
      const down = await closedURL();
      const noList = await startMockChatServer({ basePath: '/api' });
      try {
        const yaml = agentYaml(VOICE(), `  main: { provider: openai, baseURL: '${noList.baseURL.replace('/api', '/v1')}', model: gpt-5.4-nano }`).replace(`stt: { provider: openai, baseURL: '${m.openai.baseURL}'`, `stt: { provider: openai, baseURL: '${down}'`);
        const found = await check(yaml);
        expect(found.map((d) => `${brief(d)} ${d.severity}`)).toEqual([`${pos(yaml, `'${down}'`)} online stt.baseURL error`, `${pos(yaml, `'${noList.baseURL.replace('/api', '/v1')}'`)} online models.main.baseURL warning`]);
        expect(found[1]!.message).toMatch(/does not list its models \(.*404.*\), so the model ids were not checked$/);
      } finally {
        await noList.close();
      }
    });

    it('checks the realtime model and its (default) transcription model at the realtime endpoint', async () => {
      const realtime = await startMockChatServer({ models: ['gpt-realtime-2'] });
      try {
        const yaml = `apiVersion: voiceagent/v1
name: online
inference:
  mode: dualplex
  realtime: { provider: openai, baseURL: '${realtime.baseURL}', model: gpt-realtime }
voice:
  provider: local
  voices: { en: en-us }
languages: { default: en }
secrets:
  openai: \${env:OPENAI_API_KEY}
prompt:
  system: Be brief.
`;
        const found = await check(yaml);
        // The default transcription model is not written: reported at the realtime section.
        expect(found.map(brief)).toEqual([`${pos(yaml, 'realtime:')} unknown-model inference.realtime.transcriptionModel`, `${pos(yaml, 'gpt-realtime }')} unknown-model inference.realtime.model`]);
        expect(found[1]!.hint).toBe('did you mean `gpt-realtime-2`?');
        expect(found[0]!.hint).toBe('it lists 1 model, e.g. `gpt-realtime-2`');
      } finally {
        await realtime.close();
      }
    });
  });
});
