import type { AgentSpec } from './agent-spec.js';
import { soundKeys } from './text-match.js';

/*
 * Backchannels: what callers say to show they are following ("uh-huh", "ouais", "嗯"), which never interrupts
 * the agent. Each language has a built-in list, chosen by the call's current language; an agent's
 * `bargeIn.backchannels` adds entries to it or removes some. Entries are matched by sound (`soundKeys`), so one
 * spelling per sound is enough here: "mm-hmm" also covers "mhmm", "mmhmm" and "mm hmm".
 */

/** Built-in backchannels per language (ISO 639-1 primary subtag). */
export const BUILT_IN_BACKCHANNELS: Readonly<Record<string, readonly string[]>> = {
  en: ['uh-huh', 'mm-hmm', 'mm', 'hmm', 'yeah', 'yep', 'yup', 'yes', 'right', 'okay', 'ok', 'sure', 'alright', 'all right', 'got it', 'i see', 'oh', 'ah', 'aha', 'cool', 'great', 'exactly'],
  fr: ['oui', 'ouais', "d'accord", 'ok', 'okay', 'mm-hmm', 'mm', 'hmm', 'hum', 'ah', 'oh', 'voilà', "c'est ça", 'exactement', 'je vois', 'entendu', 'bien sûr', 'très bien', 'parfait', 'super'],
  zh: ['嗯', '对', '对的', '好', '好的', '是', '是的', '行', '明白', '了解', '没错', '哦', '噢', '嗯哼', 'mm-hmm', 'ok'],
  es: ['sí', 'vale', 'claro', 'ajá', 'mm-hmm', 'mm', 'ok', 'okay', 'ya', 'bueno', 'exacto', 'entiendo', 'de acuerdo', 'perfecto', 'correcto', 'ah', 'oh'],
  de: ['ja', 'genau', 'mm-hmm', 'mm', 'hm', 'aha', 'okay', 'ok', 'richtig', 'stimmt', 'klar', 'alles klar', 'gut', 'verstehe', 'ach so', 'super', 'natürlich'],
};

/** The language whose built-in list is used when neither the call's language nor the agent's default has one. */
const FALLBACK_LANGUAGE = 'en';

/** An entry of `bargeIn.backchannels` that removes every built-in one: the agent's list replaces them. */
export const REMOVE_ALL_BUILT_INS = '-*';

const keyOf = (phrase: string) => soundKeys(phrase).join(' ');

/** The built-in list of `language` (`fr-CA` -> `fr`), if there is one. */
export function builtInBackchannels(language: string): readonly string[] | undefined {
  return BUILT_IN_BACKCHANNELS[language.toLowerCase().split('-')[0]!];
}

/**
 * The backchannels of a call in `language`: the language's built-in list (the agent's default language's when
 * the language has none, English when neither has), without built-ins that sound like an interrupt phrase or
 * that the agent removes (`-yeah`; `-*` removes them all), plus the agent's own entries.
 */
export function backchannelsFor(spec: Pick<AgentSpec, 'bargeIn' | 'languages'>, language: string): string[] {
  const { backchannels: edits, interruptPhrases } = spec.bargeIn;
  const builtIns = builtInBackchannels(language) ?? builtInBackchannels(spec.languages.default) ?? BUILT_IN_BACKCHANNELS[FALLBACK_LANGUAGE]!;
  const removed = new Set([...interruptPhrases, ...edits.filter((e) => e.startsWith('-')).map((e) => e.slice(1))].map(keyOf));
  const kept = edits.includes(REMOVE_ALL_BUILT_INS) ? [] : builtIns.filter((phrase) => !removed.has(keyOf(phrase)));
  const out: string[] = [];
  const seen = new Set<string>();
  for (const phrase of [...kept, ...edits.filter((e) => !e.startsWith('-'))]) {
    const key = keyOf(phrase);
    if (key === '' || seen.has(key)) continue;
    seen.add(key);
    out.push(phrase);
  }
  return out;
}

/** Backchannels of every language the agent supports, for the compiled agent. */
export function backchannelsByLanguage(spec: Pick<AgentSpec, 'bargeIn' | 'languages'>): Record<string, string[]> {
  const lists: Record<string, string[]> = {};
  for (const language of spec.languages.supported) lists[language] = backchannelsFor(spec, language);
  return lists;
}

/** Whether a removal entry (`-yeah`, without its `-`) names a built-in backchannel of some language. */
export function isBuiltInBackchannel(phrase: string): boolean {
  const key = keyOf(phrase);
  return Object.values(BUILT_IN_BACKCHANNELS).some((list) => list.some((p) => keyOf(p) === key));
}
