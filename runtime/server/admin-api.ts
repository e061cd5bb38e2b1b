/*
 * The admin API under /v1 (docs/registry.md): push a version (the server validates and compiles the YAML itself),
 * list agents and versions, activate and roll back with compare-and-set, list calls and fetch their records and
 * WAVs. Every request needs the bearer token as `/calls` does (endpoint.ts); a refused request changes nothing.
 * Errors are `{ error: code, message }` with the codes of the contract.
 */
import { prepareAgent } from '../call/call-session.js';
import { loadAgent } from '../dsl/load-agent.js';
import { DriftError, RegistryError, UnknownVersionError } from '../registry/errors.js';
import { summaryOf } from '../registry/file-registry.js';
import type { Activation, GitInfo, Registry } from '../registry/types.js';
import { versionIdOf } from '../registry/version-id.js';
import type { AgentDirectory } from './agent-directory.js';
import type { CallDirectory, CallQuery } from './call-directory.js';
import { checkToken, json, type EndpointOptions } from './endpoint.js';
import type { HttpReply, HttpRequest, HttpRoute } from './http-server.js';
import { FORWARDED_HEADER } from './records-index.js';

/** What the admin API works on. */
export interface AdminApiOptions {
  /** Absent: `serve` runs without a registry, and the registry endpoints answer 501 `no-registry`. */
  readonly registry?: Registry;
  readonly directory: AgentDirectory;
  /** The environment this server serves (the default `env` of every request). */
  readonly env: string;
  readonly calls: CallDirectory;
}

type Handler = (request: HttpRequest, registry: Registry) => Promise<HttpReply>;

const fail = (status: number, error: string, message: string, extra: Record<string, unknown> = {}) => json(status, { error, message, ...extra });

/** The /v1 admin routes. Route parameters are `:name`/`:id` (not `:agent`, which the server resolves to a served agent). */
export function adminRoutes(endpoint: Pick<EndpointOptions, 'env' | 'loopback' | 'log'>, options: AdminApiOptions): HttpRoute[] {
  const { directory } = options;
  const guarded = (method: HttpRoute['method'], path: string, handle: (request: HttpRequest) => Promise<HttpReply>): HttpRoute => ({
    method,
    path,
    async handle(request) {
      const denied = checkToken(endpoint, request);
      if (denied) return fail(401, 'unauthorized', String(denied.body ?? 'a bearer token is needed').trim());
      try {
        return await handle(request);
      } catch (error) {
        return errorReply(error, endpoint);
      }
    },
  });
  const withRegistry = (method: HttpRoute['method'], path: string, handle: Handler): HttpRoute =>
    guarded(method, path, (request) => (options.registry ? handle(request, options.registry) : Promise.resolve(fail(501, 'no-registry', 'this server runs without a registry: start it with --data DIR or --registry redis://HOST:PORT'))));
  const envOf = (request: HttpRequest, body?: Record<string, unknown>): string => {
    const env = body?.env ?? request.url.searchParams.get('env') ?? options.env;
    if (typeof env !== 'string' || env === '') throw new RegistryError('invalid', '`env` must be a non-empty string');
    return env;
  };
  const knownAgent = async (registry: Registry, name: string): Promise<HttpReply | undefined> =>
    (await registry.versions(name)).length > 0 ? undefined : fail(404, 'unknown-agent', `no agent named ${JSON.stringify(name)} in the registry; push a version first (voiceagent deploy)`);

  return [
    withRegistry('GET', '/v1/agents', async (request, registry) => {
      const env = envOf(request);
      const agents: Array<{ name: string; active?: string; source: 'registry' | 'file' }> = [];
      const fromRegistry = await registry.agents(env);
      const names = new Set(fromRegistry.map((a) => a.name));
      for (const a of fromRegistry) agents.push({ ...a, source: a.active || !directory.current().has(a.name) || directory.sourceOf(a.name) === 'registry' ? 'registry' : 'file' });
      for (const [name, served] of directory.current()) if (!names.has(name) && !served.version) agents.push({ name, source: 'file' });
      return json(200, { env, agents: agents.sort((a, b) => a.name.localeCompare(b.name)) });
    }),
    // One route for both methods: the server matches the path first, then the method.
    withRegistry('GET|POST', '/v1/agents/:name/versions', (request, registry) => (request.method === 'POST' ? pushVersion(request, registry) : listVersions(request, registry))),
    withRegistry('GET', '/v1/agents/:name/versions/:id', async (request, registry) => {
      const { name, id } = request.params as { name: string; id: string };
      const version = await registry.version(name, id);
      if (version) return json(200, version);
      return (await knownAgent(registry, name)) ?? fail(404, 'unknown-version', new UnknownVersionError(name, id).message);
    }),
    withRegistry('POST', '/v1/agents/:name/activate', async (request, registry) => {
      const name = request.params.name!;
      const body = parseBody(request);
      const env = envOf(request, body);
      if (typeof body.version !== 'string') return fail(400, 'bad-request', '`version` (the version id to activate) is required');
      if (!('expected' in body) || (body.expected !== null && typeof body.expected !== 'string')) {
        return fail(400, 'bad-request', '`expected` is required: the version you believe is active now, or null for the first deploy (drift check)');
      }
      const unknown = await knownAgent(registry, name);
      if (unknown) return unknown;
      const activation = await registry.activate(name, env, body.version, { expected: body.expected as string | null, reason: 'deploy', ...byOf(body) });
      return activated(activation);
    }),
    withRegistry('POST', '/v1/agents/:name/rollback', async (request, registry) => {
      const name = request.params.name!;
      const body = parseBody(request);
      const env = envOf(request, body);
      if (body.to !== undefined && typeof body.to !== 'string') return fail(400, 'bad-request', '`to` must be a version id');
      if (body.expected !== undefined && body.expected !== null && typeof body.expected !== 'string') return fail(400, 'bad-request', '`expected` must be a version id or null');
      const unknown = await knownAgent(registry, name);
      if (unknown) return unknown;
      const current = (await registry.history(name, env)).at(-1);
      const to = (body.to as string | undefined) ?? current?.previous;
      if (!to) return fail(409, 'drift', `${name} in ${env} has no earlier version to roll back to${current ? '' : ' (nothing is active)'}; give one with \`to\``, { ...(current ? { active: current.version } : {}) });
      const expected = body.expected !== undefined ? (body.expected as string | null) : (current?.version ?? null);
      const activation = await registry.activate(name, env, to, { expected, reason: 'rollback', ...byOf(body) });
      return activated(activation);
    }),
    guarded('GET', '/v1/calls', async (request) => {
      const query = callQueryOf(request.url.searchParams);
      if (typeof query === 'string') return fail(400, 'bad-request', query);
      return json(200, { calls: await options.calls.list(query) });
    }),
    guarded('GET', '/v1/calls/:id', async (request) => {
      const found = await options.calls.record(request.params.id!, { local: request.headers[FORWARDED_HEADER] !== undefined });
      if (!found) return fail(404, 'unknown-call', `no call ${JSON.stringify(request.params.id)} on this server or its fleet`);
      return { status: found.status, type: found.type, bytes: found.body };
    }),
    guarded('GET', '/v1/calls/:id/wav', async (request) => {
      const found = await options.calls.wav(request.params.id!, { local: request.headers[FORWARDED_HEADER] !== undefined });
      if (!found) return fail(404, 'unknown-call', `no WAV of call ${JSON.stringify(request.params.id)} (calls are recorded with serve --record)`);
      return { status: found.status, type: found.type, bytes: found.body };
    }),
  ];

  async function pushVersion(request: HttpRequest, registry: Registry): Promise<HttpReply> {
    const name = request.params.name!;
    const body = parseBody(request);
    if (typeof body.source !== 'string' || body.source.trim() === '') return fail(400, 'bad-request', '`source` (the agent YAML text) is required');
    if (body.file !== undefined && typeof body.file !== 'string') return fail(400, 'bad-request', '`file` must be a string');
    const git = gitOf(body.git);
    if (typeof git === 'string') return fail(400, 'bad-request', git);
    const file = (body.file as string | undefined) ?? `${name}.yaml`;
    const loaded = loadAgent({ file, text: body.source });
    if (!loaded.ok) {
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      return fail(422, 'invalid-agent', `${errors.length} error${errors.length === 1 ? '' : 's'} in ${file}; nothing was pushed`, { diagnostics: errors.map((d) => ({ file: d.file, line: d.line, column: d.column, message: d.message })) });
    }
    if (loaded.spec.name !== name) return fail(400, 'bad-request', `the YAML is named ${JSON.stringify(loaded.spec.name)}, not ${JSON.stringify(name)}: push it to /v1/agents/${loaded.spec.name}/versions`);
    const { compiled } = prepareAgent(loaded.spec, { sourceHash: loaded.sourceHash });
    const existed = (await registry.version(name, versionIdOf(compiled))) !== undefined;
    const version = await registry.push({ agent: name, source: body.source, compiled, ...(git ? { git } : {}), ...(body.file !== undefined ? { file: body.file as string } : {}) });
    const active = await registry.active(name, envOf(request, body));
    endpoint.log.info(existed ? 'version pushed again (unchanged)' : 'version pushed', { agent: name, version: version.id });
    return json(existed ? 200 : 201, { version: summaryOf(version, active === version.id) });
  }

  async function listVersions(request: HttpRequest, registry: Registry): Promise<HttpReply> {
    const name = request.params.name!;
    const env = envOf(request);
    const versions = await registry.versions(name, env);
    if (versions.length === 0) return (await knownAgent(registry, name))!;
    const active = await registry.active(name, env);
    return json(200, { agent: name, env, ...(active ? { active } : {}), versions, history: await registry.history(name, env) });
  }

  async function activated(activation: Activation): Promise<HttpReply> {
    // This server switches before answering; the others within a second (watch).
    await directory.apply(activation);
    endpoint.log.info('version activated', { agent: activation.agent, env: activation.env, version: activation.version, previous: activation.previous, reason: activation.reason, by: activation.by });
    return json(200, { activation });
  }
}

function parseBody(request: HttpRequest): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(request.body || '{}');
  } catch {
    throw new BadRequest('the body is not JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

class BadRequest extends Error {}

function byOf(body: Record<string, unknown>): { by?: string } {
  return typeof body.by === 'string' && body.by !== '' ? { by: body.by.slice(0, 200) } : {};
}

function gitOf(value: unknown): GitInfo | undefined | string {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return '`git` must be an object { commit, author?, message?, time?, dirty? }';
  const git = value as Record<string, unknown>;
  if (typeof git.commit !== 'string' || git.commit === '') return '`git.commit` must be a string';
  for (const field of ['author', 'message', 'time'] as const) if (git[field] !== undefined && typeof git[field] !== 'string') return `\`git.${field}\` must be a string`;
  if (git.dirty !== undefined && typeof git.dirty !== 'boolean') return '`git.dirty` must be true or false';
  return {
    commit: git.commit,
    ...(git.author !== undefined ? { author: git.author as string } : {}),
    ...(git.message !== undefined ? { message: git.message as string } : {}),
    ...(git.time !== undefined ? { time: git.time as string } : {}),
    ...(git.dirty !== undefined ? { dirty: git.dirty as boolean } : {}),
  };
}

function callQueryOf(params: URLSearchParams): CallQuery | string {
  const query: { -readonly [K in keyof CallQuery]: CallQuery[K] } = {};
  for (const key of ['agent', 'version', 'endReason'] as const) {
    const value = params.get(key);
    if (value) query[key] = value;
  }
  for (const key of ['since', 'until'] as const) {
    const value = params.get(key);
    if (!value) continue;
    if (Number.isNaN(Date.parse(value))) return `\`${key}\` must be an ISO 8601 time (2026-12-01T09:00:00Z), got ${JSON.stringify(value)}`;
    query[key] = new Date(Date.parse(value)).toISOString();
  }
  const limit = params.get('limit');
  if (limit) {
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) return `\`limit\` takes a whole number from 1 to 1000, got ${JSON.stringify(limit)}`;
    query.limit = n;
  }
  return query;
}

function errorReply(error: unknown, endpoint: Pick<EndpointOptions, 'log'>): HttpReply {
  if (error instanceof BadRequest) return fail(400, 'bad-request', error.message);
  if (error instanceof DriftError) return fail(409, 'drift', error.message, error.active ? { active: error.active } : {});
  if (error instanceof UnknownVersionError) return fail(404, 'unknown-version', error.message);
  if (error instanceof RegistryError) {
    if (error.code === 'invalid') return fail(400, 'bad-request', error.message);
    if (error.code === 'unknown-agent') return fail(404, 'unknown-agent', error.message);
  }
  endpoint.log.error('admin request failed', { message: (error as Error)?.message });
  return fail(500, 'internal', 'the registry could not be read or written; see the server log');
}
