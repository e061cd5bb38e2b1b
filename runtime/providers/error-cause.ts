/**
 * `fetch failed (connect ECONNREFUSED 127.0.0.1:8080)`: fetch (undici) and the SDKs over it report a failed
 * connection as a generic message and put what failed in `cause`, sometimes two levels down. This adds the
 * innermost cause's message when it says something the message does not.
 */
export function withRootCause(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  let root: unknown = error;
  for (let depth = 0; depth < 5 && (root as { cause?: unknown })?.cause !== undefined; depth++) root = (root as { cause: unknown }).cause;
  const rootMessage = root === error ? undefined : ((root as Error)?.message ?? String(root));
  return rootMessage && rootMessage !== message ? `${message} (${rootMessage})` : message;
}
