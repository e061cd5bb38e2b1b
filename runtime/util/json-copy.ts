/**
 * Frozen copies of plain data with JSON's semantics: what `JSON.parse(JSON.stringify(value))` gives,
 * deep-frozen, in one pass. Object properties that are undefined, functions or symbols are dropped; such array
 * items and non-finite numbers become null; `toJSON` is honoured. Call events are copied this way when emitted
 * (twenty or more a second per call): several times faster than the JSON round trip plus a freeze.
 */
export function frozenJsonCopy(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value !== 'object') return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return frozenJsonCopy(JSON.parse(JSON.stringify(value)));
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = dropped(value[i]) ? null : frozenJsonCopy(value[i]);
    return Object.freeze(copy);
  }
  return Object.freeze(copyJsonInto({}, value));
}

/** Copies `source`'s properties into `target` as {@link frozenJsonCopy} would (frozen values; `target` itself is left unfrozen). */
export function copyJsonInto<T extends object>(target: T, source: object): T {
  const out = target as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const item = (source as Record<string, unknown>)[key];
    if (!dropped(item)) out[key] = frozenJsonCopy(item);
  }
  return target;
}

/** JSON leaves these out of objects (and writes null for them in arrays). */
function dropped(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}
