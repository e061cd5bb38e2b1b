/**
 * Overrides of an agent (a scenario's `agentOverrides`: a longer echo tail, another barge-in mode for one
 * scenario), deep-merged over the agent file before it is checked, so the merged agent is held to every rule
 * of an agent file. `scenario-checks.ts` reports each problem where the override that caused it is written.
 */

const isMapping = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * `overrides` deep-merged over `base`, as a new object (neither input is changed): mappings merge key by key,
 * anything else (a list, a value) replaces what `base` holds. Values taken from `overrides` are copies.
 */
export function mergeOverrides(base: Record<string, unknown>, overrides: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    const current = out[key];
    out[key] = isMapping(value) && isMapping(current) ? mergeOverrides(current, value) : structuredClone(value);
  }
  return out;
}

/** `routing[0].use` -> `['routing', 0, 'use']`. */
export function parseDottedPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  return out;
}
