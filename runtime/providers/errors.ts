/** What went wrong with a provider call, in terms a retry policy and a call record can use. */
export type ProviderErrorKind = 'timeout' | 'network' | 'rate-limit' | 'auth' | 'bad-request' | 'server' | 'protocol' | 'cancelled';

/**
 * The one error type providers raise. `retryable` says whether trying again can help (network, timeout,
 * rate limit, 5xx) or not (auth, bad request, cancelled).
 */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: ProviderErrorKind;
  readonly retryable: boolean;

  constructor(options: { provider: string; kind: ProviderErrorKind; message: string; retryable?: boolean; cause?: unknown }) {
    super(`${options.provider}: ${options.message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.provider = options.provider;
    this.kind = options.kind;
    this.retryable = options.retryable ?? ['timeout', 'network', 'rate-limit', 'server'].includes(options.kind);
  }

  /** Wraps anything thrown by a provider into a ProviderError (keeping ProviderErrors as they are). */
  static from(provider: string, error: unknown): ProviderError {
    if (error instanceof ProviderError) return error;
    if ((error as { name?: string })?.name === 'AbortError') return new ProviderError({ provider, kind: 'cancelled', message: 'aborted', cause: error });
    return new ProviderError({ provider, kind: 'server', message: (error as Error)?.message ?? String(error), cause: error });
  }
}
