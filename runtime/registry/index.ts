/*
 * The agent registry: versioned agents, active pointers per environment, activation history. See docs/registry.md.
 */
export * from './types.js';
export { RegistryError, DriftError, UnknownAgentError, UnknownVersionError, type RegistryErrorCode } from './errors.js';
export { canonicalJson, versionIdOf, isVersionId, VERSION_ID_PATTERN } from './version-id.js';
export { createFileRegistry, type FileRegistryOptions } from './file-registry.js';
export { createRedisRegistry, type RedisRegistry, type RedisRegistryOptions } from './redis-registry.js';
