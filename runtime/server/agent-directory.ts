/*
 * Which agent a new call gets. The served agents are the agent files given on the command line plus every agent
 * with an active version in the registry for this server's environment; a deployed agent wins over a file of the
 * same name. Activations are watched (files: polled; Redis: pub/sub), so new calls switch within a second; a
 * call resolves its agent once, at the start, and keeps that version to its end. `?version=ID` pins a version.
 */
import { prepareAgent } from '../call/call-session.js';
import { formatDiagnostic } from '../dsl/diagnostics.js';
import { loadAgent } from '../dsl/load-agent.js';
import type { Activation, AgentVersion, Registry } from '../registry/types.js';
import { isVersionId, versionIdOf } from '../registry/version-id.js';
import type { ServedAgent } from './agent-catalog.js';
import type { Logger } from './logger.js';

/** The agents a server takes calls for, kept current with the registry. */
export interface AgentDirectory {
  /** The agents new calls get, by name. */
  current(): ReadonlyMap<string, ServedAgent>;
  /** Where each served agent comes from. */
  sourceOf(name: string): 'registry' | 'file' | undefined;
  /** The agent a new call to `name` gets; with `version`, that version (loaded from the registry once). */
  resolve(name: string, version?: string): ServedAgent | undefined | Promise<ServedAgent | undefined>;
  /** Switches to an activation now (the admin API calls it before answering, so this server has switched). */
  apply(activation: Activation): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/** Options of {@link createAgentDirectory}. */
export interface AgentDirectoryOptions {
  /** The agents from files (agent-catalog.ts). */
  readonly files: ReadonlyMap<string, ServedAgent>;
  readonly registry?: Registry;
  /** The environment this server serves. */
  readonly env: string;
  readonly log: Logger;
}

/** Prepared versions kept for pinned calls, beyond the active ones. */
const PINNED_CACHE = 32;

/** Loads the active versions, starts watching, and resolves once the directory is current. */
export async function createAgentDirectory(options: AgentDirectoryOptions): Promise<AgentDirectory> {
  const { registry, env, log } = options;
  const served = new Map(options.files);
  const deployed = new Set<string>();
  // The seq each agent's served version came from: a late, older activation never replaces a newer one.
  const appliedSeq = new Map<string, number>();
  const prepared = new Map<string, Promise<ServedAgent | undefined>>();

  const prepare = (agent: string, id: string): Promise<ServedAgent | undefined> => {
    const key = `${agent}@${id}`;
    let found = prepared.get(key);
    if (!found) {
      found = registry!.version(agent, id).then((version) => (version ? servedOf(version, log) : undefined));
      prepared.set(key, found);
      // A failed or missing lookup is not kept: the version may be pushed a moment later.
      void found.then((value) => value ?? prepared.delete(key), () => prepared.delete(key));
      if (prepared.size > PINNED_CACHE) {
        for (const old of prepared.keys()) {
          if (prepared.size <= PINNED_CACHE) break;
          const [name, version] = old.split('@');
          if (served.get(name!)?.version !== version) prepared.delete(old);
        }
      }
    }
    return found;
  };

  const install = (agent: string, version: ServedAgent) => {
    const before = served.get(agent);
    if (before && !deployed.has(agent)) log.info('a deployed version replaces the agent file for new calls', { agent, file: before.file, version: version.version });
    served.set(agent, version);
    deployed.add(agent);
    log.info('agent version active', { agent, env, version: version.version });
  };

  const apply = async (activation: Activation, seq = activation.seq): Promise<void> => {
    if (activation.env !== env || (appliedSeq.get(activation.agent) ?? -1) >= seq) return;
    let version: ServedAgent | undefined;
    try {
      version = await prepare(activation.agent, activation.version);
    } catch (error) {
      log.error('activated version not loaded; the previous one keeps serving', { agent: activation.agent, version: activation.version, message: (error as Error)?.message });
      return;
    }
    if (!version) {
      log.error('activated version not found in the registry; the previous one keeps serving', { agent: activation.agent, version: activation.version });
      return;
    }
    // Checked again after the await: a newer activation may have been applied meanwhile.
    if ((appliedSeq.get(activation.agent) ?? -1) >= seq) return;
    appliedSeq.set(activation.agent, seq);
    install(activation.agent, version);
  };

  const unwatch = registry?.watch((activation) => void apply(activation));
  if (registry) {
    // seq 0: what is active at start; any activation seen by the watcher meanwhile is newer and wins.
    for (const { name, active } of await registry.agents(env)) {
      if (active) await apply({ seq: 0, agent: name, env, version: active, at: '', reason: 'deploy' }, 0);
    }
  }

  return {
    current: () => served,
    sourceOf: (name) => (deployed.has(name) ? 'registry' : served.has(name) ? 'file' : undefined),
    resolve(name, version) {
      if (version === undefined) return served.get(name);
      if (!isVersionId(version)) return undefined;
      const now = served.get(name);
      if (now?.version === version) return now;
      return registry ? prepare(name, version).catch(() => undefined) : undefined;
    },
    apply: (activation) => apply(activation),
    close: () => unwatch?.(),
  };
}

/** Compiles a stored version for serving, from its source (this server's compiler binds its own chart). */
function servedOf(version: AgentVersion, log: Logger): ServedAgent {
  const file = version.file ?? `${version.agent}.yaml`;
  const loaded = loadAgent({ file, text: version.source });
  if (!loaded.ok) throw new Error(`version ${version.id} of ${version.agent} no longer loads on this server:\n${loaded.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
  const agent = prepareAgent(loaded.spec, { sourceHash: loaded.sourceHash });
  const compiledHere = versionIdOf(agent.compiled);
  // Another voiceagent release compiles the same YAML differently: the call still runs under the registry's id.
  if (compiledHere !== version.id) log.warn('this server compiles the version to a different chart than the one pushed', { agent: version.agent, version: version.id, compiledHere });
  return { name: version.agent, file, agent, version: version.id };
}
