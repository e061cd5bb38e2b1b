import { REALTIME_PROFILE, type AgentSpec, type Condition } from './agent-spec.js';
import { matchesKeyword } from './text-match.js';

/** What a routing decision is made from. */
export interface TurnFacts {
  readonly transcript: string;
  readonly language: string;
  /** 1-based caller turn number. */
  readonly turn: number;
}

/** The outcome of routing a turn. */
export interface Route {
  /** A profile name from `models`, or `realtime`. */
  readonly profile: string;
  /** Index of the rule that matched; -1 for the default. */
  readonly rule: number;
  readonly intents: readonly string[];
}

/** Intents whose keywords occur in the transcript, in declaration order. */
export function detectIntents(spec: AgentSpec, transcript: string): string[] {
  return Object.entries(spec.intents)
    .filter(([, keywords]) => keywords.some((k) => matchesKeyword(transcript, k)))
    .map(([name]) => name);
}

/** Whether a condition (routing or offline reply) holds for a turn. */
export function conditionHolds(when: Condition | undefined, facts: TurnFacts, intents: readonly string[]): boolean {
  if (!when) return true;
  if (when.intent && !when.intent.some((i) => intents.includes(i))) return false;
  if (when.language && !when.language.includes(facts.language)) return false;
  if (when.turn?.min !== undefined && facts.turn < when.turn.min) return false;
  if (when.turn?.max !== undefined && facts.turn > when.turn.max) return false;
  if (when.transcript && !new RegExp(when.transcript, 'i').test(facts.transcript)) return false;
  return true;
}

/** Picks the model profile for a turn: first matching rule, else the first profile (or the realtime model). */
export function routeTurn(spec: AgentSpec, facts: TurnFacts): Route {
  const intents = detectIntents(spec, facts.transcript);
  const index = spec.routing.findIndex((rule) => conditionHolds(rule.when, facts, intents));
  if (index >= 0) return { profile: spec.routing[index]!.use, rule: index, intents };
  // Cascade agents always have a profile (the DSL checks it); realtime agents default to the realtime model.
  const first = Object.keys(spec.models)[0];
  return { profile: spec.inference.mode === 'cascade' && first ? first : REALTIME_PROFILE, rule: -1, intents };
}
