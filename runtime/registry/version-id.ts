/*
 * Version ids: the hash of the compiled agent, so the same YAML always gives the same id on every machine
 * (the compiled chart carries the sha256 of the YAML text, so an edited prompt is a new version too).
 * Canonical JSON sorts object keys and drops undefined, which makes the hash independent of key order.
 */
import { createHash } from 'node:crypto';
import type { CompiledAgent } from '../compiler/index.js';

/** Shape of a version id: `v` + 12 lowercase hex digits. */
export const VERSION_ID_PATTERN = /^v[0-9a-f]{12}$/;

/** JSON text of `value` with object keys sorted at every depth and undefined members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const child = (value as Record<string, unknown>)[key];
    if (child !== undefined) out[key] = sortKeys(child);
  }
  return out;
}

/** The registry id of a compiled agent: `'v'` + the first 12 hex digits of sha256 of its canonical JSON. */
export function versionIdOf(compiled: CompiledAgent): string {
  return `v${createHash('sha256').update(canonicalJson(compiled)).digest('hex').slice(0, 12)}`;
}

/** True when `id` has the shape of a version id (checked before it is used in a file name or a Redis key). */
export function isVersionId(id: string): boolean {
  return VERSION_ID_PATTERN.test(id);
}
