/*
 * The registry's model: immutable agent versions addressed by the hash of their compiled chart, an active pointer
 * per agent and environment, and an append-only history of activations. Two stores implement it (files under
 * `serve --data DIR`, Redis under `serve --registry redis://...`); the server, the admin API and the deploy CLI
 * only see this interface.
 */
import type { CompiledAgent } from '../compiler/index.js';

/** The environment a server serves when `--env` is not given. */
export const DEFAULT_ENV = 'production';

/** Where a version came from in git, as the deploy CLI saw it. */
export interface GitInfo {
  /** Full commit hash the agent file was read at. */
  readonly commit: string;
  readonly author?: string;
  /** First line of the commit message. */
  readonly message?: string;
  /** Commit time, ISO 8601. */
  readonly time?: string;
  /** True when the file had uncommitted changes (`deploy --allow-dirty`). */
  readonly dirty?: boolean;
}

/** One immutable, pushed version of an agent. */
export interface AgentVersion {
  /** `'v'` + the first 12 hex digits of sha256 of the canonical JSON of {@link compiled}: same YAML, same id. */
  readonly id: string;
  /** The agent's name (its YAML `name`). */
  readonly agent: string;
  /** When this version was first pushed, ISO 8601. */
  readonly createdAt: string;
  /** The agent YAML text the version was compiled from. */
  readonly source: string;
  /** The compiled chart, as the server compiled it. */
  readonly compiled: CompiledAgent;
  readonly git?: GitInfo;
  /** The agent file's path relative to the project, as the deploy CLI saw it. */
  readonly file?: string;
}

/** A version without its source and chart, for listings. */
export interface VersionSummary {
  readonly id: string;
  readonly agent: string;
  readonly createdAt: string;
  readonly git?: GitInfo;
  readonly file?: string;
  /** True when this version is the active one in the environment the listing was asked for. */
  readonly active: boolean;
}

/** Why an activation happened. */
export type ActivationReason = 'deploy' | 'rollback';

/** One entry of an agent's activation history in one environment. Entries are appended, never rewritten. */
export interface Activation {
  /** 1-based position in this agent+env history. */
  readonly seq: number;
  readonly agent: string;
  readonly env: string;
  /** The version made active. */
  readonly version: string;
  /** The version that was active before, absent for the first activation. */
  readonly previous?: string;
  /** When, ISO 8601. */
  readonly at: string;
  readonly reason: ActivationReason;
  /** Who asked (free text from the client, e.g. git author or `$USER`). */
  readonly by?: string;
}

/** What `push` takes: the server compiles; the registry stores. */
export interface PushInput {
  readonly agent: string;
  readonly source: string;
  readonly compiled: CompiledAgent;
  readonly git?: GitInfo;
  readonly file?: string;
}

/** Options of {@link Registry.activate}. */
export interface ActivateOptions {
  /** The version the caller believes is active now; `null` for "none yet". A mismatch throws `DriftError`. */
  readonly expected: string | null;
  readonly reason: ActivationReason;
  readonly by?: string;
}

/** An agent known to the registry, with its active version in the asked environment. */
export interface RegistryAgent {
  readonly name: string;
  readonly active?: string;
}

/** Called with each activation (this process's own and, for shared stores, other servers'). */
export type ActivationListener = (activation: Activation) => void;

/** The versioned agent store. Every method is async; implementations are safe across processes sharing the store. */
export interface Registry {
  /** Which implementation, for logs and the admin API. */
  readonly kind: 'file' | 'redis';
  /** Stores a version. Idempotent: pushing the same compiled agent again returns the existing version unchanged. */
  push(input: PushInput): Promise<AgentVersion>;
  /** One version, or undefined when never pushed. */
  version(agent: string, id: string): Promise<AgentVersion | undefined>;
  /** All versions of an agent, newest first; `active` is relative to `env` (default {@link DEFAULT_ENV}). */
  versions(agent: string, env?: string): Promise<VersionSummary[]>;
  /** Every agent with at least one version, by name, with its active version in `env`. */
  agents(env: string): Promise<RegistryAgent[]>;
  /** The active version id of an agent in an environment. */
  active(agent: string, env: string): Promise<string | undefined>;
  /**
   * Makes `version` active, atomically compared against `options.expected`.
   * @throws DriftError when the active version is not `options.expected`.
   * @throws UnknownVersionError when `version` was never pushed for `agent`.
   */
  activate(agent: string, env: string, version: string, options: ActivateOptions): Promise<Activation>;
  /** The activation history of an agent in an environment, oldest first. */
  history(agent: string, env: string): Promise<Activation[]>;
  /** Subscribes to activations; returns the unsubscribe function. */
  watch(listener: ActivationListener): () => void;
  /** Releases files watchers, timers and connections. */
  close(): Promise<void>;
}
