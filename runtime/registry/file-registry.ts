/*
 * The embedded registry: plain files under `<dir>/registry/`, shared safely by every process that opens the same
 * folder (the workers of `serve --workers N`, a deploy running beside a server).
 *
 *   versions/<agent>/<id>.json            one immutable AgentVersion per file, created once (link: never replaced)
 *   envs/<env>/<agent>/history/<seq>.json one Activation per file, seq zero-padded
 *   envs/<env>/<agent>/active.json        the latest Activation: the active pointer, and the commit point
 *   envs/<env>/<agent>/lock               held during compare-and-set (O_EXCL, stale-lock recovery)
 *
 * An activation writes its history entry, then replaces active.json; both writes are atomic (atomic-file.ts).
 * A crash before the second rename leaves the old pointer, so the old version keeps serving, and the orphan
 * history entry (seq above the pointer's) is never read and is overwritten by the next activation.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileAtomic, TEMP_SUFFIX, writeFileAtomic } from './atomic-file.js';
import { DriftError, RegistryError, UnknownVersionError } from './errors.js';
import { withFileLock } from './file-lock.js';
import { checkName, checkVersionId, isName, isVersionRef } from './names.js';
import { ActivationListeners } from './activation-listeners.js';
import { DEFAULT_ENV, type Activation, type ActivationListener, type AgentVersion, type PushInput, type Registry, type RegistryAgent, type VersionSummary } from './types.js';
import { versionIdOf } from './version-id.js';

/** Options of {@link createFileRegistry}. */
export interface FileRegistryOptions {
  /** The data folder; the registry lives in `<dir>/registry/`. */
  readonly dir: string;
  /** How often watchers look for other processes' activations, ms. Default 200 (a switch within 1 s). */
  readonly pollMs?: number;
  /** The time stamped on versions and activations (tests inject one). Default `new Date()`. */
  readonly now?: () => Date;
}

/** Opens (creating lazily) the file registry under `<dir>/registry/`. */
export function createFileRegistry(options: FileRegistryOptions): Registry {
  const root = join(options.dir, 'registry');
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollMs ?? 200;
  const versionPath = (agent: string, id: string) => join(root, 'versions', agent, `${id}.json`);
  const envDir = (env: string, agent: string) => join(root, 'envs', env, agent);
  const historyPath = (env: string, agent: string, seq: number) => join(envDir(env, agent), 'history', `${String(seq).padStart(8, '0')}.json`);

  async function readJson<T>(path: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RegistryError('corrupt', `${path} is not valid JSON; the registry never writes half a file, so it was edited or damaged by hand`);
    }
  }

  const names = async (dir: string, suffix = ''): Promise<string[]> => {
    try {
      return (await readdir(dir)).filter((name) => !name.startsWith('.') && !name.endsWith(TEMP_SUFFIX) && name.endsWith(suffix)).map((name) => name.slice(0, name.length - suffix.length));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };

  const pointer = (agent: string, env: string) => readJson<Activation>(join(envDir(env, agent), 'active.json'));

  // Watching: the last seq seen per env/agent, so each activation is told once, whichever process made it.
  const listeners = new ActivationListeners();
  let timer: NodeJS.Timeout | undefined;
  let scanning = false;
  const tell = (activation: Activation) => listeners.tell(activation);
  async function scan(announce: boolean): Promise<void> {
    if (scanning) return;
    scanning = true;
    try {
      for (const env of (await names(join(root, 'envs'))).filter(isName)) {
        for (const agent of (await names(join(root, 'envs', env))).filter(isName)) {
          const activation = await pointer(agent, env).catch(() => undefined);
          if (!activation) continue;
          if (announce) tell(activation);
          else listeners.markSeen(activation);
        }
      }
    } finally {
      scanning = false;
    }
  }

  const registry: Registry = {
    kind: 'file',
    async push(input: PushInput): Promise<AgentVersion> {
      checkName('agent', input.agent);
      if (input.compiled?.agent?.name !== input.agent) throw new RegistryError('invalid', `the compiled agent is named ${JSON.stringify(input.compiled?.agent?.name)}, not ${JSON.stringify(input.agent)}`);
      const id = versionIdOf(input.compiled);
      const version: AgentVersion = {
        id,
        agent: input.agent,
        createdAt: now().toISOString(),
        source: input.source,
        compiled: input.compiled,
        ...(input.git ? { git: input.git } : {}),
        ...(input.file !== undefined ? { file: input.file } : {}),
      };
      const path = versionPath(input.agent, id);
      if (await createFileAtomic(path, JSON.stringify(version, null, 2) + '\n')) return version;
      return (await readJson<AgentVersion>(path))!;
    },
    async version(agent, id) {
      if (!isName(agent) || !isVersionRef(id)) return undefined;
      return readJson<AgentVersion>(versionPath(agent, id));
    },
    async versions(agent, env = DEFAULT_ENV) {
      if (!isName(agent)) return [];
      const active = isName(env) ? (await pointer(agent, env))?.version : undefined;
      const all: VersionSummary[] = [];
      for (const id of await names(join(root, 'versions', agent), '.json')) {
        const version = await readJson<AgentVersion>(versionPath(agent, id)).catch(() => undefined);
        if (version) all.push(summaryOf(version, version.id === active));
      }
      return all.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    },
    async agents(env) {
      checkName('environment', env);
      const out: RegistryAgent[] = [];
      for (const name of (await names(join(root, 'versions'))).filter(isName).sort()) {
        const active = (await pointer(name, env))?.version;
        out.push({ name, ...(active ? { active } : {}) });
      }
      return out;
    },
    async active(agent, env) {
      if (!isName(agent) || !isName(env)) return undefined;
      return (await pointer(agent, env))?.version;
    },
    async activate(agent, env, version, options) {
      checkName('agent', agent);
      checkName('environment', env);
      checkVersionId(version);
      if (!(await registry.version(agent, version))) throw new UnknownVersionError(agent, version);
      // The lock lives in the agent's env folder, which the first activation creates.
      await mkdir(join(envDir(env, agent), 'history'), { recursive: true });
      const activation = await withFileLock(join(envDir(env, agent), 'lock'), async () => {
        const current = await pointer(agent, env);
        if ((current?.version ?? null) !== options.expected) throw new DriftError(agent, env, current?.version, options.expected);
        const next: Activation = {
          seq: (current?.seq ?? 0) + 1,
          agent,
          env,
          version,
          ...(current ? { previous: current.version } : {}),
          at: now().toISOString(),
          reason: options.reason,
          ...(options.by ? { by: options.by } : {}),
        };
        const text = JSON.stringify(next, null, 2) + '\n';
        await writeFileAtomic(historyPath(env, agent, next.seq), text);
        await writeFileAtomic(join(envDir(env, agent), 'active.json'), text);
        return next;
      });
      tell(activation);
      return activation;
    },
    async history(agent, env) {
      if (!isName(agent) || !isName(env)) return [];
      const current = await pointer(agent, env);
      if (!current) return [];
      const entries: Activation[] = [];
      for (let seq = 1; seq < current.seq; seq++) {
        const entry = await readJson<Activation>(historyPath(env, agent, seq));
        if (entry) entries.push(entry);
      }
      entries.push(current);
      return entries;
    },
    watch(listener) {
      if (listeners.size === 0 && !timer) {
        // The first watcher: what is active now is known, not news.
        const primed = scan(false);
        timer = setInterval(() => void primed.then(() => scan(true)).catch(() => {}), pollMs);
        timer.unref();
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    async close() {
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
  return registry;
}

/** A version without its source and chart. */
export function summaryOf(version: Pick<AgentVersion, 'id' | 'agent' | 'createdAt' | 'git' | 'file'>, active: boolean): VersionSummary {
  return {
    id: version.id,
    agent: version.agent,
    createdAt: version.createdAt,
    ...(version.git ? { git: version.git } : {}),
    ...(version.file !== undefined ? { file: version.file } : {}),
    active,
  };
}
