/**
 * Maps what can go wrong on an OpenAI Realtime WebSocket to {@link ProviderError}: `error` events the server
 * sends (`{type, code, message, param, event_id}`), socket failures the `ws` client reports (refused, reset,
 * TLS, an HTTP status instead of the upgrade) and frames that are not JSON.
 */
import { ProviderError, type ProviderErrorKind } from '../errors.js';

/** The `error` object of a Realtime `error` server event. */
export interface RealtimeServerError {
  readonly type?: string | null;
  readonly code?: string | null;
  readonly message?: string | null;
  readonly param?: string | null;
  readonly event_id?: string | null;
}

/**
 * Error codes the server sends for races that are harmless to us: cancelling a response that has just ended
 * (barge-in right at the end of a reply). They are not reported as errors.
 */
export const BENIGN_ERROR_CODES: ReadonlySet<string> = new Set(['response_cancel_not_active']);

function kindOfServerError(error: RealtimeServerError): ProviderErrorKind {
  const code = error.code ?? '';
  const type = error.type ?? '';
  if (code === 'rate_limit_exceeded' || type === 'rate_limit_error' || type === 'tokens_exceeded') return 'rate-limit';
  if (code === 'invalid_api_key' || type === 'authentication_error' || type === 'permission_error') return 'auth';
  if (type === 'invalid_request_error') return 'bad-request';
  return 'server';
}

/** A ProviderError for an `error` server event. */
export function errorFromServerEvent(provider: string, error: RealtimeServerError): ProviderError {
  const details = [`type ${error.type ?? '?'}`, error.code ? `code ${error.code}` : '', error.param ? `param ${error.param}` : '', error.event_id ? `in reply to client event ${error.event_id}` : '']
    .filter(Boolean)
    .join(', ');
  return new ProviderError({ provider, kind: kindOfServerError(error), message: `${error.message ?? 'server error'} (${details})`, cause: error });
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/** A ProviderError for a failure of the socket itself (before, during or instead of the upgrade). */
export function errorFromSocket(provider: string, message: string, cause: unknown): ProviderError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  const status = /Unexpected server response: (\d{3})/.exec(message)?.[1];
  if (status) {
    const http = Number(status);
    const kind: ProviderErrorKind = http === 401 || http === 403 ? 'auth' : http === 429 ? 'rate-limit' : http >= 500 ? 'server' : 'bad-request';
    const hint = kind === 'auth' ? ': check the API key' : '';
    return new ProviderError({ provider, kind, message: `the Realtime endpoint answered HTTP ${http} instead of upgrading to a WebSocket${hint}`, cause });
  }
  if (typeof code === 'string' && TLS_CODES.test(code)) {
    return new ProviderError({ provider, kind: 'network', retryable: false, message: `TLS certificate rejected (${code}): for a private endpoint pass its CA as clientOptions.ca`, cause });
  }
  if (cause instanceof SyntaxError) {
    // The SDK could not parse a frame; the socket is still up. A server glitch: trying again may well work.
    return new ProviderError({ provider, kind: 'protocol', retryable: true, message: `${message}: ${cause.message}`, cause });
  }
  const suffix = typeof code === 'string' && NETWORK_CODES.has(code) ? ` (${code})` : '';
  return new ProviderError({ provider, kind: 'network', message: `${message}${suffix}`, cause });
}

/** The error for a socket the server (or the network) closed while we still used it. */
export function errorFromClose(provider: string, code: number, reason: string): ProviderError {
  return new ProviderError({ provider, kind: 'network', message: `the Realtime socket closed unexpectedly (code ${code}${reason ? `, ${reason}` : ''})` });
}
