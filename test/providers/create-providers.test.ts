// Which key each real provider sends comes from one set of rules (runtime/providers/provider-keys.ts), used by
// createProviders when a call starts and by `validate --online` before. Nothing here opens a socket: building
// the providers resolves keys but connects only when a call starts using them.
import { describe, expect, it } from 'vitest';
import { loadAgent } from '../../runtime/dsl/index.js';
import { createProviders } from '../../runtime/providers/create-providers.js';
import { keysNeeded } from '../../runtime/providers/provider-keys.js';
import { createSimulatedClock } from '../../runtime/util/clock.js';

const LOOPBACK = 'http://127.0.0.1:9/v1';

function spec(yaml: string) {
  const loaded = loadAgent({ file: 'agents/keys.yaml', text: `apiVersion: voiceagent/v1\nname: keys\nprompt: { system: Be brief. }\n${yaml}` });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.spec;
}

async function build(yaml: string, env: Record<string, string>) {
  const providers = await createProviders(spec(yaml), { env, agentFile: 'agents/keys.yaml', clock: createSimulatedClock(), sampleRate: 8000 });
  providers.close();
  return providers;
}

const CASCADE = `inference: { mode: cascade }
models: { main: { provider: local, model: rules } }
stt: { provider: openai, model: gpt-4o-transcribe, baseURL: '${LOOPBACK}', apiKey: '\${env:STT_KEY}' }
voice: { provider: elevenlabs, baseURL: '${LOOPBACK}', apiKey: '\${env:EL_KEY}', voices: { en: voice-a } }
`;

describe('provider keys', () => {
  it('names the variable, the agent file and the field of a key that is not set', async () => {
    await expect(build(CASCADE, { EL_KEY: 'e' })).rejects.toThrow(/agents\/keys\.yaml: `stt\.apiKey`.*STT_KEY/);
    // A model profile's key is resolved when the profile is first used (a fallback model may never be).
    const providers = await build(`${CASCADE.replace(/^models:.*\n/m, '')}models: { main: { provider: openai, model: m, baseURL: '${LOOPBACK}', apiKey: '\${env:CHAT_KEY}' } }\n`, { STT_KEY: 's', EL_KEY: 'e' });
    expect(() => providers.llm('main')).toThrow(/agents\/keys\.yaml: `models\.main\.apiKey`.*CHAT_KEY/);
  });

  it('falls back to secrets.<name>, and says so when that variable is missing', async () => {
    const yaml = `inference: { mode: dualplex, realtime: { provider: openai, model: gpt-realtime, baseURL: '${LOOPBACK}' } }
voice: { provider: elevenlabs, baseURL: '${LOOPBACK}', voices: { en: voice-a } }
secrets: { openai: '\${env:OPENAI_API_KEY}', elevenlabs: '\${env:ELEVENLABS_API_KEY}' }
`;
    await expect(build(yaml, { OPENAI_API_KEY: 'o' })).rejects.toThrow(/`secrets\.elevenlabs`.*ELEVENLABS_API_KEY/);
    await expect(build(yaml, { OPENAI_API_KEY: 'o', ELEVENLABS_API_KEY: 'e' })).resolves.toBeDefined();
    expect(keysNeeded(spec(yaml)).map((use) => [use.field, use.provider])).toEqual([
      ['secrets.openai', 'openai-realtime'],
      ['secrets.elevenlabs', 'elevenlabs'],
    ]);
  });

  it('needs no key for an OpenAI-compatible server without apiKey, nor for offline models', async () => {
    const yaml = `${CASCADE.replace(/^models:.*\n/m, '')}models:
  own: { provider: openai-compatible, model: llama, baseURL: '${LOOPBACK}' }
  offline: { provider: local, model: rules }
`;
    await expect(build(yaml, { STT_KEY: 's', EL_KEY: 'e' })).resolves.toBeDefined();
    expect(keysNeeded(spec(yaml)).map((use) => use.field)).toEqual(['stt.apiKey', 'voice.apiKey']);
  });

  it('refuses the offline simulated recogniser for real audio, saying what to use', async () => {
    const yaml = CASCADE.replace('stt: { provider: openai, model: gpt-4o-transcribe,', 'stt: { provider: local, model: simulated,');
    await expect(build(yaml, { STT_KEY: 's', EL_KEY: 'e' })).rejects.toThrow(/`stt\.provider: local` is the offline simulated recogniser.*`stt\.provider: openai`/);
  });
});
