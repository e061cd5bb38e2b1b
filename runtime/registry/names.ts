/*
 * Names that become file names and Redis keys: agent names (the YAML's `name`), environment names and version
 * ids are checked before use, so no request can reach outside the registry folder or another key space.
 */
import { RegistryError } from './errors.js';
import { isVersionId } from './version-id.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Throws a RegistryError('invalid') unless `name` is a usable agent or environment name. */
export function checkName(kind: 'agent' | 'environment', name: string): void {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new RegistryError('invalid', `${JSON.stringify(name)} is not a valid ${kind} name: letters, digits, '-', '_' and '.', starting with a letter or digit`);
  }
}

/** True when `name` is a usable agent or environment name. */
export function isName(name: string): boolean {
  return NAME.test(name);
}

/** True when `id` (from a request: any value) has the shape of a version id. */
export function isVersionRef(id: unknown): boolean {
  return typeof id === 'string' && isVersionId(id);
}

/** Throws a RegistryError('invalid') unless `id` has the shape of a version id. */
export function checkVersionId(id: string): void {
  if (!isVersionRef(id)) throw new RegistryError('invalid', `${JSON.stringify(id)} is not a version id (v + 12 hex digits)`);
}
