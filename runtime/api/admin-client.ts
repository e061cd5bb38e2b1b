/*
 * The client of a `voiceagent serve` admin API (`/v1`, docs/deploy.md): what `voiceagent deploy`, `versions`,
 * `rollback`, `calls` and `record` talk to. Every failure becomes one AdminApiError with a stable `code` (the
 * server's own error code, or `unreachable` / `bad-response` for what went wrong before an answer), and a
 * message that says what happened, where, and what to do, so the CLI can print it as it is.
 */
import type { CallRecord } from '../call/call-record.js';
import type { Activation, AgentVersion, GitInfo, VersionSummary } from '../registry/types.js';
import type { CallQuery, CallSummary } from '../server/call-directory.js';

export type { CallQuery, CallSummary };

/** Codes of {@link AdminApiError}: the admin API's error codes, plus what can fail before the server answers. */
export type AdminErrorCode =
  | 'unreachable'
  | 'bad-response'
  | 'unauthorized'
  | 'bad-request'
  | 'invalid-agent'
  | 'unknown-agent'
  | 'unknown-version'
  | 'unknown-call'
  | 'drift'
  | 'no-registry'
  | 'server-error';

/** A problem the server found in a pushed agent (422 `invalid-agent`). */
export interface AdminDiagnostic {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** A failed admin API request. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    /** HTTP status, when the server answered. */
    readonly status?: number,
    /** For `drift`: the version active now on the server (undefined: none). */
    readonly active?: string,
    /** For `invalid-agent`: what the server found wrong. */
    readonly diagnostics: readonly AdminDiagnostic[] = [],
  ) {
    super(message);
  }
}

/** One agent the server serves. */
export interface AdminAgent {
  readonly name: string;
  readonly active?: string;
  readonly source: 'registry' | 'file';
}

/** `GET /v1/agents/:agent/versions`: every version, the active one, and the activation history. */
export interface AgentVersions {
  readonly agent: string;
  readonly env: string;
  readonly active?: string;
  /** Newest first. */
  readonly versions: readonly VersionSummary[];
  /** Oldest first. */
  readonly history: readonly Activation[];
}

/** What a version push carries: the YAML (the server compiles it itself) and where it came from. */
export interface PushRequest {
  readonly source: string;
  readonly git?: GitInfo;
  /** The agent file's path relative to the project. */
  readonly file?: string;
}

/** Options of {@link createAdminClient}. */
export interface AdminClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080` (a trailing `/` is ignored). */
  readonly url: string;
  /** Bearer token (`VOICEAGENT_TOKEN` of the server); no `Authorization` header when absent. */
  readonly token?: string;
  /** How long one request may take, ms. Default: 15000. */
  readonly timeoutMs?: number;
  /** Registry environment sent as `env`; absent: the server's own (`serve --env`). */
  readonly env?: string;
  /** `fetch` to use (tests). Default: the global one. */
  readonly fetch?: typeof fetch;
}

/** A typed client of one server's admin API. Every method rejects with {@link AdminApiError}. */
export interface AdminClient {
  readonly url: string;
  agents(): Promise<{ readonly env: string; readonly agents: readonly AdminAgent[] }>;
  versions(agent: string): Promise<AgentVersions>;
  version(agent: string, id: string): Promise<AgentVersion>;
  /** Pushes a version; `created` is false when the server already had it. */
  push(agent: string, request: PushRequest): Promise<{ readonly version: VersionSummary; readonly created: boolean }>;
  activate(agent: string, request: { readonly version: string; readonly expected: string | null; readonly by?: string }): Promise<Activation>;
  rollback(agent: string, request: { readonly to?: string; readonly expected?: string | null; readonly by?: string }): Promise<Activation>;
  calls(query?: CallQuery): Promise<readonly CallSummary[]>;
  call(callId: string): Promise<CallRecord>;
  /** The call's stereo WAV bytes. */
  callWav(callId: string): Promise<Uint8Array>;
}

/** Creates a client of the admin API at `options.url`. */
export function createAdminClient(options: AdminClientOptions): AdminClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const seg = encodeURIComponent;
  const envQuery = options.env ? `?env=${seg(options.env)}` : '';
  const envBody = options.env ? { env: options.env } : {};

  async function send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw unreachable(base, error, timeoutMs);
    }
    if (!response.ok) throw await errorOf(base, method, path, response);
    return response;
  }

  async function json<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ value: T; status: number }> {
    const response = await send(method, path, body);
    const text = await response.text();
    try {
      return { value: JSON.parse(text) as T, status: response.status };
    } catch {
      throw new AdminApiError('bad-response', `${method} ${base}${path} answered ${response.status} with something that is not JSON: ${text.slice(0, 120)}; is ${base} a voiceagent server?`, response.status);
    }
  }

  return {
    url: base,
    async agents() {
      return (await json<{ env: string; agents: AdminAgent[] }>('GET', `/v1/agents${envQuery}`)).value;
    },
    async versions(agent) {
      return (await json<AgentVersions>('GET', `/v1/agents/${seg(agent)}/versions${envQuery}`)).value;
    },
    async version(agent, id) {
      return (await json<AgentVersion>('GET', `/v1/agents/${seg(agent)}/versions/${seg(id)}`)).value;
    },
    async push(agent, request) {
      const { value, status } = await json<{ version: VersionSummary }>('POST', `/v1/agents/${seg(agent)}/versions`, request);
      return { version: value.version, created: status === 201 };
    },
    async activate(agent, request) {
      return (await json<{ activation: Activation }>('POST', `/v1/agents/${seg(agent)}/activate`, { ...request, ...envBody })).value.activation;
    },
    async rollback(agent, request) {
      return (await json<{ activation: Activation }>('POST', `/v1/agents/${seg(agent)}/rollback`, { ...request, ...envBody })).value.activation;
    },
    async calls(query = {}) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
      const q = params.toString();
      return (await json<{ calls: CallSummary[] }>('GET', `/v1/calls${q ? `?${q}` : ''}`)).value.calls;
    },
    async call(callId) {
      return (await json<CallRecord>('GET', `/v1/calls/${seg(callId)}`)).value;
    },
    async callWav(callId) {
      const response = await send('GET', `/v1/calls/${seg(callId)}/wav`);
      return new Uint8Array(await response.arrayBuffer());
    },
  };
}

/** The error for a request that got no answer: say the URL and how to get a server there. */
function unreachable(base: string, error: unknown, timeoutMs: number): AdminApiError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const name = (error as Error).name;
  const why = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? cause?.message ?? (error as Error).message);
  return new AdminApiError(
    'unreachable',
    `cannot reach the voiceagent server at ${base} (${why}). Start one with \`voiceagent serve --data .voiceagent\` ` +
      '(the admin API needs --data or --registry), or point at another with --env, --url or VOICEAGENT_URL.',
  );
}

/** Turns a non-2xx answer into an AdminApiError, from the contract's `{ error, message }` body when there is one. */
async function errorOf(base: string, method: string, path: string, response: Response): Promise<AdminApiError> {
  const text = await response.text().catch(() => '');
  let body: { error?: unknown; message?: unknown; active?: unknown; diagnostics?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as typeof body;
  } catch {
    // Not JSON (a proxy's page, an older server's plain-text 401): the status says enough.
  }
  const serverMessage = typeof body.message === 'string' ? body.message : text.trim().slice(0, 200);
  const status = response.status;
  const code = codeOf(status, typeof body.error === 'string' ? body.error : undefined);
  const where = `${method} ${base}${path}`;
  switch (code) {
    case 'unauthorized':
      return new AdminApiError(code, `${base} refused the token (401): set VOICEAGENT_TOKEN to the server's token, or the environment's \`token\` variable in voiceagent.yaml${serverMessage ? ` (${serverMessage})` : ''}`, status);
    case 'no-registry':
      return new AdminApiError(code, `${base} has no registry (501): start serve with --data DIR or --registry redis://HOST:PORT to deploy to it`, status);
    case 'drift':
      return new AdminApiError(code, serverMessage || `${where}: the active version changed (409)`, status, typeof body.active === 'string' ? body.active : undefined);
    case 'invalid-agent':
      return new AdminApiError(code, serverMessage || 'the server found errors in the agent (422)', status, undefined, Array.isArray(body.diagnostics) ? (body.diagnostics as AdminDiagnostic[]) : []);
    case 'bad-response':
      return new AdminApiError(code, `${where} answered ${status} without an admin API error: is ${base} a voiceagent server with the /v1 admin API (serve --data DIR)?`, status);
    case 'server-error':
      return new AdminApiError(code, `${where} failed on the server (${status})${serverMessage ? `: ${serverMessage}` : ''}`, status);
    default:
      return new AdminApiError(code, serverMessage || `${where} answered ${status}`, status);
  }
}

const KNOWN: ReadonlySet<string> = new Set(['unauthorized', 'bad-request', 'invalid-agent', 'unknown-agent', 'unknown-version', 'unknown-call', 'drift', 'no-registry']);

function codeOf(status: number, error: string | undefined): AdminErrorCode {
  if (error && KNOWN.has(error)) return error as AdminErrorCode;
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 409) return 'drift';
  if (status === 422) return 'invalid-agent';
  if (status === 501) return 'no-registry';
  if (status === 404) return 'bad-response';
  if (status >= 500) return 'server-error';
  return 'bad-request';
}
