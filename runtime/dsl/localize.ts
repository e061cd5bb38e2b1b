import type { AgentSpec, LocalizedText } from './agent-spec.js';

/** The text for `language`, falling back to the agent's default language, then to any language given. */
export function localize(text: LocalizedText | undefined, language: string, defaultLanguage: string): string | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'string') return text;
  return text[language] ?? text[defaultLanguage] ?? Object.values(text)[0];
}

/** System prompt plus the agent's instruction for `language`. */
export function systemPromptFor(spec: AgentSpec, language: string): string {
  const extra = spec.prompt.instructions[language];
  return extra ? `${spec.prompt.system}\n\n${extra}` : spec.prompt.system;
}
