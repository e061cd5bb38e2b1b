/*
 * A tiny loopback server that answers the admin API (`/v1`) as docs/registry contract says, from memory: the
 * fixture the admin client and the deploy CLI are tested against without a real `serve`. It compiles pushed YAML
 * itself (as the real server does), checks the bearer token, compares-and-sets activations, and serves the call
 * records and WAVs a test puts in `calls`. `beforeActivate` lets a test slip in another deploy (drift).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileAgent } from '../../runtime/compiler/index.js';
import { loadAgent } from '../../runtime/dsl/load-agent.js';
import { canonical } from '../../runtime/api/chart-diff.js';
import type { CallSummary } from '../../runtime/api/admin-client.js';
import type { JsonValue } from '../../runtime/compiler/machine-config.js';
import type { Activation, AgentVersion, VersionSummary } from '../../runtime/registry/types.js';

export interface ContractServer {
  readonly url: string;
  readonly versions: Map<string, AgentVersion[]>;
  readonly active: Map<string, string>;
  readonly history: Map<string, Activation[]>;
  /** Calls listed by GET /v1/calls (newest first), with their records and optional WAV bytes. */
  readonly calls: Array<{ summary: CallSummary; record: Record<string, unknown>; wav?: Uint8Array }>;
  /** Every request, as `METHOD path`. */
  readonly requests: string[];
  /** Runs before an activation is compared-and-set (to simulate a concurrent deploy). */
  beforeActivate?: (agent: string) => void;
  /** Pushes a version directly (as another deployer would) and returns its id. */
  pushDirect(source: string): string;
  close(): Promise<void>;
}

const ENV = 'production';

/** Starts the fixture on a free loopback port; `token` makes every /v1 request need it. */
export async function startContractServer(options: { readonly token?: string } = {}): Promise<ContractServer> {
  const versions = new Map<string, AgentVersion[]>();
  const active = new Map<string, string>();
  const history = new Map<string, Activation[]>();
  const requests: string[] = [];
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const now = () => new Date((clock += 1000)).toISOString();

  const push = (agentName: string | undefined, body: { source: string; git?: AgentVersion['git']; file?: string }): { status: number; body: unknown } => {
    const loaded = loadAgent({ file: body.file ?? 'agent.yaml', text: body.source });
    if (!loaded.ok) return { status: 422, body: { error: 'invalid-agent', message: 'the agent has errors', diagnostics: loaded.diagnostics.map((d) => ({ file: d.file, line: d.line, column: d.column, message: d.message })) } };
    const agent = loaded.spec.name;
    if (agentName !== undefined && agentName !== agent) return { status: 400, body: { error: 'bad-request', message: `the YAML names ${agent}, not ${agentName}` } };
    const compiled = compileAgent(loaded.spec, { sourceHash: loaded.sourceHash });
    const id = 'v' + createHash('sha256').update(canonical(compiled as unknown as JsonValue)).digest('hex').slice(0, 12);
    const list = versions.get(agent) ?? [];
    const existing = list.find((v) => v.id === id);
    if (existing) return { status: 200, body: { version: summary(existing) } };
    const version: AgentVersion = { id, agent, createdAt: now(), source: body.source, compiled, ...(body.git ? { git: body.git } : {}), ...(body.file ? { file: body.file } : {}) };
    versions.set(agent, [version, ...list]);
    return { status: 201, body: { version: summary(version) } };
  };
  const summary = (v: AgentVersion): VersionSummary => {
    const { source: _s, compiled: _c, ...rest } = v;
    return { ...rest, active: active.get(v.agent) === v.id };
  };
  const activate = (agent: string, version: string, reason: Activation['reason'], by?: string): Activation => {
    const list = history.get(agent) ?? [];
    const previous = active.get(agent);
    const activation: Activation = { seq: list.length + 1, agent, env: ENV, version, ...(previous ? { previous } : {}), at: now(), reason, ...(by ? { by } : {}) };
    history.set(agent, [...list, activation]);
    active.set(agent, version);
    return activation;
  };

  const server: ContractServer = {
    url: '',
    versions,
    active,
    history,
    calls: [],
    requests,
    pushDirect: (source) => (push(undefined, { source }).body as { version: VersionSummary }).version.id,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };

  const route = async (request: IncomingMessage): Promise<{ status: number; body: unknown; raw?: Uint8Array }> => {
    const url = new URL(request.url ?? '/', 'http://x');
    requests.push(`${request.method} ${url.pathname}${url.search}`);
    if (options.token && request.headers.authorization !== `Bearer ${options.token}`) return { status: 401, body: { error: 'unauthorized', message: 'a bearer token is needed' } };
    let body: Record<string, unknown> = {};
    if (request.method === 'POST') {
      let text = '';
      for await (const chunk of request) text += String(chunk);
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return { status: 400, body: { error: 'bad-request', message: 'the body is not JSON' } };
      }
    }
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const unknownAgent = (agent: string) => ({ status: 404, body: { error: 'unknown-agent', message: `no agent named "${agent}" in the registry` } });
    if (parts[0] !== 'v1') return { status: 404, body: 'not found' };
    if (parts[1] === 'agents' && parts.length === 2) return { status: 200, body: { env: ENV, agents: [...versions.keys()].map((name) => ({ name, active: active.get(name), source: 'registry' })) } };
    if (parts[1] === 'agents' && parts[3] === 'versions') {
      const agent = parts[2]!;
      if (request.method === 'POST') return push(agent, body as { source: string });
      const list = versions.get(agent);
      if (!list) return unknownAgent(agent);
      if (parts[4]) {
        const version = list.find((v) => v.id === parts[4]);
        return version ? { status: 200, body: version } : { status: 404, body: { error: 'unknown-version', message: `${agent} has no version ${parts[4]}` } };
      }
      return { status: 200, body: { agent, env: ENV, active: active.get(agent), versions: list.map(summary), history: history.get(agent) ?? [] } };
    }
    if (parts[1] === 'agents' && (parts[3] === 'activate' || parts[3] === 'rollback')) {
      const agent = parts[2]!;
      const list = versions.get(agent);
      if (!list) return unknownAgent(agent);
      let target = body.version ?? body.to;
      if (parts[3] === 'rollback' && target === undefined) {
        const last = (history.get(agent) ?? []).at(-1);
        if (!last?.previous) return { status: 409, body: { error: 'drift', message: `${agent} has no earlier version to roll back to`, active: active.get(agent) } };
        target = last.previous;
      }
      if (!list.some((v) => v.id === target)) return { status: 404, body: { error: 'unknown-version', message: `${agent} has no version "${String(target)}"` } };
      server.beforeActivate?.(agent);
      const expected = body.expected;
      if (expected !== undefined && (expected ?? undefined) !== active.get(agent)) {
        return { status: 409, body: { error: 'drift', message: `the active version is ${active.get(agent) ?? 'none'}, not ${String(expected)}`, active: active.get(agent) } };
      }
      return { status: 200, body: { activation: activate(agent, String(target), parts[3] === 'rollback' ? 'rollback' : 'deploy', body.by as string | undefined) } };
    }
    if (parts[1] === 'calls' && parts.length === 2) {
      const q = url.searchParams;
      const since = q.get('since');
      const calls = server.calls
        .map((c) => c.summary)
        .filter((c) => (!q.get('agent') || c.agent === q.get('agent')) && (!q.get('version') || c.version === q.get('version')) && (!since || c.startedAt >= since));
      return { status: 200, body: { calls } };
    }
    if (parts[1] === 'calls' && parts[2]) {
      const call = server.calls.find((c) => c.summary.callId === parts[2]);
      if (!call || (parts[3] === 'wav' && !call.wav)) return { status: 404, body: { error: 'unknown-call', message: `no call ${parts[2]}` } };
      return parts[3] === 'wav' ? { status: 200, body: undefined, raw: call.wav } : { status: 200, body: call.record };
    }
    return { status: 404, body: 'not found' };
  };

  const http = createServer((request: IncomingMessage, response: ServerResponse) => {
    void route(request).then(({ status, body, raw }) => {
      if (raw) {
        response.writeHead(status, { 'content-type': 'audio/wav' }).end(raw);
        return;
      }
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }).end(text);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  Object.assign(server, { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
  return server;
}
