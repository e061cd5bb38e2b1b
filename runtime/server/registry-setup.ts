/*
 * How `serve` opens its registry and decides which agent files to serve beside it: a file registry under
 * `--data DIR` by default, Redis with `--registry redis://HOST:PORT`. With a registry given explicitly the
 * server may start with no agent files at all and serve whatever is deployed to it.
 */
import { createFileRegistry } from '../registry/file-registry.js';
import { createRedisRegistry } from '../registry/redis-registry.js';
import type { Registry } from '../registry/types.js';
import { DEFAULT_ENV } from '../registry/types.js';
import { isName } from '../registry/names.js';
import { AgentCatalogError, findAgentFiles, loadAgentCatalog, type ServedAgent } from './agent-catalog.js';

/** The registry settings of `serve` (plain data: they cross to `--workers` processes as JSON). */
export interface RegistrySettings {
  /** `redis://HOST:PORT[/DB]` for the Redis registry; `none` for no registry; absent: files under `dataDir`. */
  readonly registry?: string;
  /** The environment served (`--env`). Default `production`. */
  readonly environment?: string;
  /** Start even with no agent files and nothing deployed (set by the CLI when `--data` or `--registry` is given). */
  readonly allowNoAgents?: boolean;
}

/** Thrown (as the server's refusal) when the registry settings are wrong or the registry cannot be reached. */
export class RegistrySetupError extends Error {
  override readonly name = 'RegistrySetupError';
}

/** The environment a server serves, checked. */
export function environmentOf(settings: RegistrySettings): string {
  const env = settings.environment ?? DEFAULT_ENV;
  if (!isName(env)) throw new RegistrySetupError(`--env ${JSON.stringify(env)}: an environment name is letters, digits, '-', '_' and '.' (e.g. production, staging)`);
  return env;
}

/** Opens the registry of `settings`; for Redis, checks it answers within 3 s. */
export async function openRegistry(settings: RegistrySettings, dataDir: string): Promise<Registry | undefined> {
  const spec = settings.registry;
  if (spec === 'none') return undefined;
  if (spec === undefined || spec === '') return createFileRegistry({ dir: dataDir });
  if (!/^rediss?:\/\//.test(spec)) throw new RegistrySetupError(`--registry ${spec}: give a Redis URL (redis://HOST:PORT); the file registry needs no flag (it lives under --data)`);
  const registry = createRedisRegistry({ url: spec });
  try {
    await Promise.race([registry.redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer in 3 s')), 3000).unref())]);
  } catch (error) {
    await registry.close();
    throw new RegistrySetupError(`cannot reach the registry at ${spec} (${String((error as Error)?.message).replace(/\.+$/, '')}): is redis-server running there?`);
  }
  return registry;
}

/**
 * The agent files to serve. Without paths and with `allowNoAgents`, a missing default agents folder means no
 * files (a server that only serves deployed agents); broken files still refuse the start.
 */
export function loadFileAgents(options: { readonly paths: readonly string[]; readonly cwd: string } & RegistrySettings): Map<string, ServedAgent> {
  let files: string[];
  try {
    files = findAgentFiles(options.paths, options.cwd);
  } catch (error) {
    if (options.allowNoAgents && options.paths.length === 0 && error instanceof AgentCatalogError) files = [];
    else throw error;
  }
  return loadAgentCatalog(files, { allowEmpty: true });
}

/** Throws the usual refusal when there is nothing to serve and the server was not told to start empty. */
export function checkSomethingToServe(served: number, settings: RegistrySettings): void {
  if (served > 0 || settings.allowNoAgents) return;
  throw new AgentCatalogError('no agent files to serve: give agent files or folders, or run in a project with agents (or start with --data DIR / --registry URL to serve deployed agents only)');
}
