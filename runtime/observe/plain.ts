/*
 * Small helpers for the view's plain, immutable data: copies with one change, and objects without the
 * `undefined` fields a JSON round trip would drop.
 */

/** A copy of `list` with `item` at `at`. */
export function replaceAt<T>(list: readonly T[], at: number, item: T): readonly T[] {
  const copy = list.slice();
  copy[at] = item;
  return copy;
}

/** `fields` without its `undefined` values, so the view equals its own JSON round trip. */
export function compact<T extends object>(fields: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as T;
}
