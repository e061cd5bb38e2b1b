/*
 * A guest calls the hotel concierge (agents/multilingual.yaml), asks about breakfast in English, then goes on
 * in French. The recogniser identifies French with high confidence on a full sentence, so the agent follows:
 * the recogniser's language, the voice and the model's language instruction all change together, on the
 * same stream (no audio frame lost), and the conversation so far stays in the model's context. One borrowed
 * French word, or an unsure identification, does not switch the call.
 */
import { describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../harness.js';

const VOICES = { en: 'EXAVITQu4vr4xnAvFxDe', fr: 'XB0fDUnXU5powFXDhCwa' };
const FR_INSTRUCTION = 'Réponds en français, en vouvoyant le client.';
const EN_INSTRUCTION = 'Answer in English.';

function hotel(): Harness {
  return createHarness({
    agentFile: 'multilingual.yaml',
    llmByProfile: {
      realtime: {
        replies: [
          { match: 'petit', reply: 'Le petit-déjeuner est servi de six heures trente à dix heures trente.' },
          { match: 'breakfast', reply: 'Breakfast is served from six thirty.' },
        ],
        defaultReply: 'Of course.',
      },
    },
  });
}

async function greeted(h: Harness) {
  h.start();
  await h.runUntil(() => h.tts.contexts.length === 1 && h.statesInclude('agent.idle'), 15_000);
}

async function turn(h: Harness, text: string, options: Parameters<Harness['say']>[1] = {}) {
  const index = h.session.record.turns.length;
  h.say(text, options);
  await h.runUntil(() => h.session.record.turns[index]?.outcome !== undefined && h.statesInclude('agent.idle'), 15_000);
  return h.session.record.turns[index]!;
}

const systemOf = (h: Harness, request = -1) => h.llm('realtime').requests.at(request)!.messages[0]!;

describe('caller switches to French mid-call', () => {
  it('switches recogniser, voice and instruction together, keeping history and every frame', async () => {
    const h = hotel();
    await greeted(h);
    const english = await turn(h, 'when is breakfast served');
    expect(english.language).toBe('en');
    expect(systemOf(h).content).toContain(EN_INSTRUCTION);
    expect(h.tts.contexts.at(-1)).toMatchObject({ voice: VOICES.en, language: 'en' });

    const french = await turn(h, 'et le petit déjeuner le dimanche', { language: 'fr', languageConfidence: 0.93 });

    const { record } = h.session;
    expect(record.languageSwitches).toEqual([{ atMs: expect.any(Number), from: 'en', to: 'fr' }]);
    expect(h.stt.languageChanges).toEqual(['fr']);
    expect(h.stt.streamsStarted).toBe(1);
    expect(h.statesInclude('language.fr')).toBe(true);
    expect(french.language).toBe('fr');
    // No draft asked with the English instruction may answer the French turn. (This turn routes to the
    // realtime model, which is never drafted: see CallController.startDraft.)
    expect(french.draft).not.toBe('kept');

    // The reply to the French turn: French instruction, whole history, French voice.
    const request = h.llm('realtime').requests.at(-1)!;
    expect(request.messages[0]!.role).toBe('system');
    expect(request.messages[0]!.content).toContain(FR_INSTRUCTION);
    expect(request.messages[0]!.content).not.toContain(EN_INSTRUCTION);
    expect(request.messages.slice(1)).toEqual([
      { role: 'assistant', content: 'Harbourview Hotel, good evening. How may I help you? I can also help you in French or Mandarin.' },
      { role: 'user', content: 'when is breakfast served' },
      { role: 'assistant', content: 'Breakfast is served from six thirty.' },
      { role: 'user', content: 'et le petit déjeuner le dimanche' },
    ]);
    expect(h.tts.contexts.at(-1)).toMatchObject({ voice: VOICES.fr, language: 'fr', text: 'Le petit-déjeuner est servi de six heures trente à dix heures trente.' });
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', language: 'fr' });

    // Every inbound frame (one per 20 ms of call time) reached the one recogniser stream.
    expect(h.stt.framesReceived).toBe(h.now() / 20);
  });

  it.each([
    ['the identification is unsure', 'et le petit déjeuner le dimanche', 0.5],
    ['too few words are heard', 'croissant', 0.97],
  ])('does not switch when %s', async (_case, text, languageConfidence) => {
    const h = hotel();
    await greeted(h);
    const t = await turn(h, text, { language: 'fr', languageConfidence });

    expect(h.session.record.languageSwitches).toEqual([]);
    expect(h.stt.languageChanges).toEqual([]);
    expect(h.statesInclude('language.en')).toBe(true);
    expect(t.language).toBe('en');
    expect(systemOf(h).content).toContain(EN_INSTRUCTION);
    expect(h.tts.contexts.at(-1)).toMatchObject({ voice: VOICES.en, language: 'en' });
  });
});
