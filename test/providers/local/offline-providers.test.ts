// Offline mode builds every shipped agent's providers with no keys: the scripted model answers for every
// profile (the realtime one too), the simulated recogniser listens, the agent's VAD is built, and eSpeak NG
// speaks in place of the agent's premium voice, with a voice chosen per language.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadAgent, type AgentSpec } from '../../../runtime/dsl/index.js';
import { createOfflineProviders, createSimulatedStt, offlineVoiceFor } from '../../../runtime/providers/local/index.js';
import type { TextToSpeech, TtsChunk } from '../../../runtime/providers/types.js';
import { createSimulatedClock, type SimulatedClock } from '../../../runtime/util/clock.js';

const AGENTS = fileURLToPath(new URL('../../../agents/', import.meta.url));
const SHIPPED = readdirSync(AGENTS).filter((name) => /\.ya?ml$/.test(name));

function load(file: string, text?: string): AgentSpec {
  const loaded = loadAgent({ file, ...(text !== undefined ? { text } : {}) });
  if (!loaded.ok) throw new Error(`${file} is invalid: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  return loaded.spec;
}

function minimalAgent(voice: string): AgentSpec {
  return load(
    'voices.yaml',
    `apiVersion: voiceagent/v1
name: voices
inference: { mode: dualplex, realtime: { provider: openai } }
voice: ${voice}
prompt: { system: Test. }
`,
  );
}

/** Synthesises `text` through `tts` on a simulated clock; resolves with the audio chunks. */
async function speak(tts: TextToSpeech, clock: SimulatedClock, voice: string, language: string, text: string): Promise<TtsChunk[]> {
  const chunks: TtsChunk[] = [];
  let done = false;
  const context = tts.open({ voice, language, sampleRate: 8000, speed: 1 }, {
    onAudio: (chunk) => chunks.push(chunk),
    onDone: () => (done = true),
    onError: (error) => {
      throw error;
    },
  });
  context.pushText(text);
  context.end();
  for (let step = 0; step < 1000 && !done; step++) clock.advance(10);
  expect(done).toBe(true);
  return chunks;
}

describe('createOfflineProviders', () => {
  it.each(SHIPPED)('builds the offline providers of agents/%s', async (name) => {
    const spec = load(join(AGENTS, name));
    const clock = createSimulatedClock();
    const stt = createSimulatedStt({ seed: 3 });
    const providers = await createOfflineProviders(spec, { clock, sampleRate: 8000, stt });
    expect(providers.stt).toBe(stt);
    for (const profile of [...Object.keys(spec.models), 'realtime']) expect(providers.llm(profile).id).toBe('local-offline');
    expect(providers.vad.engine).toBe(spec.turnTaking.vad.engine);
    await providers.vad.close();
    expect(providers.tts.id).toBe('local-espeak');
    // The agent's own (ElevenLabs) voice id is spoken by eSpeak NG in every supported language.
    for (const language of spec.languages.supported) {
      const voice = spec.voice.voices[language] ?? Object.values(spec.voice.voices)[0]!;
      const chunks = await speak(providers.tts, clock, voice, language, language === 'zh' ? '您好' : 'Hello');
      expect(chunks.reduce((samples, chunk) => samples + chunk.pcm.length, 0)).toBeGreaterThan(800);
    }
  });

  it('creates a simulated recogniser when none is given', async () => {
    const spec = load(join(AGENTS, SHIPPED[0]!));
    const providers = await createOfflineProviders(spec, { clock: createSimulatedClock(), sampleRate: 8000 });
    expect(providers.stt.id).toBe('local-simulated-stt');
  });

  it('answers with the agent scripted replies for every profile', async () => {
    const spec = load(join(AGENTS, 'receptionist.yaml'));
    const providers = await createOfflineProviders(spec, { clock: createSimulatedClock(), sampleRate: 8000 });
    expect(providers.llm('realtime').choose({ messages: [{ role: 'user', content: 'when do you open?' }] }).text).toMatch(/^We're open Monday to Friday/);
  });
});

describe('offlineVoiceFor', () => {
  it("uses the agent's local fallback voices first", () => {
    const spec = load(join(AGENTS, 'multilingual.yaml'));
    expect(['en', 'fr', 'zh', 'fr-CA'].map((language) => offlineVoiceFor(spec, language))).toEqual(['en-us', 'fr-fr', 'cmn', 'fr-fr']);
  });

  it('maps languages to eSpeak voices when the agent names none', () => {
    const spec = minimalAgent('{ provider: elevenlabs, voices: { en: abc } }');
    const languages = ['en', 'en-GB', 'fr', 'zh', 'de', 'es', 'it', 'pt-BR', 'ja', 'nl'];
    expect(languages.map((language) => offlineVoiceFor(spec, language))).toEqual(['en-us', 'en-us', 'fr-fr', 'cmn', 'de', 'es', 'it', 'pt', 'ja', 'nl']);
  });

  it('keeps the voices of a local agent as they are', async () => {
    const spec = minimalAgent('{ provider: local, voices: { en: en-gb } }');
    const clock = createSimulatedClock();
    const providers = await createOfflineProviders(spec, { clock, sampleRate: 8000 });
    expect((await speak(providers.tts, clock, 'en-gb', 'en', 'Hello')).length).toBeGreaterThan(0);
    const failures: string[] = [];
    providers.tts.open({ voice: 'no-such-voice', language: 'xx', sampleRate: 8000, speed: 1 }, { onAudio: () => {}, onDone: () => {}, onError: (error) => failures.push(error.message) }).end();
    clock.advance(10);
    expect(failures.join()).toMatch(/no eSpeak NG voice "no-such-voice"/);
  });
});
