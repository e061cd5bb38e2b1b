/*
 * The fleet registry: the same model in Redis, shared by every `serve --registry redis://...` process.
 *
 *   <p>agents                      set of agent names with at least one version
 *   <p>versions:<agent>            sorted set of version ids, scored by creation time (ms)
 *   <p>version:<agent>:<id>        hash: id, agent, createdAt, source, compiled (JSON), git (JSON), file
 *   <p>active:<env>:<agent>        string: the active version id (the pointer)
 *   <p>history:<env>:<agent>       list of Activation JSON, oldest first
 *   <p>activations                 pub/sub channel: each Activation JSON as it happens
 *
 * Push and activate are Lua scripts, so each is one atomic step in Redis: a push creates a version only if its
 * id is new; an activation compares the pointer with the expected version, appends history, moves the pointer
 * and publishes, all or nothing. Every server subscribes to the channel and switches as the message arrives.
 */
import { Redis } from 'ioredis';
import { DriftError, RegistryError, UnknownVersionError } from './errors.js';
import { checkName, checkVersionId, isName, isVersionRef } from './names.js';
import { summaryOf } from './file-registry.js';
import { ActivationListeners } from './activation-listeners.js';
import { DEFAULT_ENV, type Activation, type ActivationListener, type AgentVersion, type PushInput, type Registry, type VersionSummary } from './types.js';
import { versionIdOf } from './version-id.js';

/** Options of {@link createRedisRegistry}. */
export interface RedisRegistryOptions {
  /** `redis://HOST:PORT[/DB]`. */
  readonly url: string;
  /** Prefix of every key and channel. Default `voiceagent:`. */
  readonly prefix?: string;
  readonly now?: () => Date;
}

/** The Redis registry, with its connection and key prefix for the fleet features built on the same Redis. */
export interface RedisRegistry extends Registry {
  readonly kind: 'redis';
  readonly redis: Redis;
  readonly prefix: string;
}

// KEYS: version hash, versions zset, agents set. ARGV: agent, id, score, then field/value pairs.
const PUSH = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
return 1`;

// KEYS: active pointer, history list, version hash. ARGV: expected ('' = none), version, at, reason, by, agent, env, channel.
const ACTIVATE = `
if redis.call('EXISTS', KEYS[3]) == 0 then return {'unknown-version', ''} end
local current = redis.call('GET', KEYS[1])
if not current then current = '' end
if current ~= ARGV[1] then return {'drift', current} end
local activation = { seq = redis.call('LLEN', KEYS[2]) + 1, agent = ARGV[6], env = ARGV[7], version = ARGV[2], at = ARGV[3], reason = ARGV[4] }
if current ~= '' then activation.previous = current end
if ARGV[5] ~= '' then activation.by = ARGV[5] end
local text = cjson.encode(activation)
redis.call('RPUSH', KEYS[2], text)
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[8], text)
return {'ok', text}`;

/** Connects to the Redis registry at `url`. Commands fail (rather than queue forever) when Redis is unreachable. */
export function createRedisRegistry(options: RedisRegistryOptions): RedisRegistry {
  const prefix = options.prefix ?? 'voiceagent:';
  const now = options.now ?? (() => new Date());
  const redis = new Redis(options.url, { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: false });
  // Connection errors surface on the commands that fail; unhandled 'error' events would only add noise.
  redis.on('error', () => {});
  const key = {
    agents: `${prefix}agents`,
    versions: (agent: string) => `${prefix}versions:${agent}`,
    version: (agent: string, id: string) => `${prefix}version:${agent}:${id}`,
    active: (env: string, agent: string) => `${prefix}active:${env}:${agent}`,
    history: (env: string, agent: string) => `${prefix}history:${env}:${agent}`,
    channel: `${prefix}activations`,
  };

  const listeners = new ActivationListeners();
  let subscriber: Redis | undefined;
  const tell = (activation: Activation) => listeners.tell(activation);

  const registry: RedisRegistry = {
    kind: 'redis',
    redis,
    prefix,
    async push(input: PushInput) {
      checkName('agent', input.agent);
      if (input.compiled?.agent?.name !== input.agent) throw new RegistryError('invalid', `the compiled agent is named ${JSON.stringify(input.compiled?.agent?.name)}, not ${JSON.stringify(input.agent)}`);
      const id = versionIdOf(input.compiled);
      const created = now();
      const fields = ['id', id, 'agent', input.agent, 'createdAt', created.toISOString(), 'source', input.source, 'compiled', JSON.stringify(input.compiled)];
      if (input.git) fields.push('git', JSON.stringify(input.git));
      if (input.file !== undefined) fields.push('file', input.file);
      await redis.eval(PUSH, 3, key.version(input.agent, id), key.versions(input.agent), key.agents, input.agent, id, String(created.getTime()), ...fields);
      return (await registry.version(input.agent, id))!;
    },
    async version(agent, id) {
      if (!isName(agent) || !isVersionRef(id)) return undefined;
      const hash = await redis.hgetall(key.version(agent, id));
      return hash.id ? versionOf(hash) : undefined;
    },
    async versions(agent, env = DEFAULT_ENV) {
      if (!isName(agent)) return [];
      const [ids, active] = await Promise.all([redis.zrevrange(key.versions(agent), 0, -1), isName(env) ? redis.get(key.active(env, agent)) : null]);
      const out: VersionSummary[] = [];
      for (const id of ids) {
        const [createdAt, git, file] = await redis.hmget(key.version(agent, id), 'createdAt', 'git', 'file');
        if (!createdAt) continue;
        out.push(summaryOf({ id, agent, createdAt, ...(git ? { git: JSON.parse(git) } : {}), ...(file !== null ? { file } : {}) }, id === active));
      }
      return out;
    },
    async agents(env) {
      checkName('environment', env);
      const names = (await redis.smembers(key.agents)).filter(isName).sort();
      if (names.length === 0) return [];
      const actives = await redis.mget(...names.map((name) => key.active(env, name)));
      return names.map((name, i) => ({ name, ...(actives[i] ? { active: actives[i]! } : {}) }));
    },
    async active(agent, env) {
      if (!isName(agent) || !isName(env)) return undefined;
      return (await redis.get(key.active(env, agent))) ?? undefined;
    },
    async activate(agent, env, version, options) {
      checkName('agent', agent);
      checkName('environment', env);
      checkVersionId(version);
      const by = options.by ?? '';
      const [outcome, text] = (await redis.eval(ACTIVATE, 3, key.active(env, agent), key.history(env, agent), key.version(agent, version), options.expected ?? '', version, now().toISOString(), options.reason, by, agent, env, key.channel)) as [string, string];
      if (outcome === 'unknown-version') throw new UnknownVersionError(agent, version);
      if (outcome === 'drift') throw new DriftError(agent, env, text || undefined, options.expected);
      const activation = JSON.parse(text) as Activation;
      tell(activation);
      return activation;
    },
    async history(agent, env) {
      if (!isName(agent) || !isName(env)) return [];
      return (await redis.lrange(key.history(env, agent), 0, -1)).map((text) => JSON.parse(text) as Activation);
    },
    watch(listener) {
      listeners.add(listener);
      if (!subscriber) {
        subscriber = redis.duplicate();
        subscriber.on('error', () => {});
        subscriber.on('message', (channel: string, text: string) => {
          if (channel !== key.channel) return;
          try {
            tell(JSON.parse(text) as Activation);
          } catch {
            // Not ours: ignore.
          }
        });
        void subscriber.subscribe(key.channel).catch(() => {});
      }
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      const connections = [redis, subscriber].filter((c): c is Redis => c !== undefined);
      subscriber = undefined;
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
  return registry;
}

function versionOf(hash: Record<string, string>): AgentVersion {
  return {
    id: hash.id!,
    agent: hash.agent!,
    createdAt: hash.createdAt!,
    source: hash.source ?? '',
    compiled: JSON.parse(hash.compiled ?? 'null'),
    ...(hash.git ? { git: JSON.parse(hash.git) } : {}),
    ...(hash.file !== undefined ? { file: hash.file } : {}),
  };
}
