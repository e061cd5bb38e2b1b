/**
 * Keys reach providers only through `${env:NAME}` references in agent files, resolved when a call starts. A
 * missing variable is a configuration problem, not a provider outage: it fails as a non-retryable `auth`
 * {@link ProviderError} that says which variable, which agent file and field, and how to fix it. No message
 * ever contains a key or what looks like one.
 */
import { ProviderError } from './errors.js';

/** `${env:NAME}`, the whole value; NAME as in a POSIX shell. */
const ENV_REFERENCE = /^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Where a reference comes from, for messages, and the environment it resolves against. */
export interface SecretContext {
  /** Environment variables (inject `process.env` at the edge; tests pass a plain object). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The agent file holding the reference, as the user knows it (`agents/support.yaml`, optionally `:line:column`). */
  readonly agentFile: string;
  /** Dotted path of the field in that file, e.g. `models.fast.apiKey`. */
  readonly field: string;
  /** Provider id the error is attributed to. Default: `secrets`. */
  readonly provider?: string;
}

/** The variable name of a `${env:NAME}` reference, or undefined when `value` is not exactly one. */
export function envReferenceName(value: string): string | undefined {
  return ENV_REFERENCE.exec(value.trim())?.[1];
}

/**
 * Resolves a `${env:NAME}` reference to the variable's value (surrounding whitespace trimmed, as keys pasted
 * into `.env` files often carry a newline). Throws a non-retryable {@link ProviderError}:
 * - `auth` when the field is absent or the variable is unset or empty;
 * - `bad-request` when the value is not a `${env:NAME}` reference (a literal key must not live in git).
 */
export function resolveSecret(ref: string | undefined, context: SecretContext): string {
  const provider = context.provider ?? 'secrets';
  const where = `${context.agentFile}: \`${context.field}\``;
  const fail = (kind: 'auth' | 'bad-request', message: string): never => {
    throw new ProviderError({ provider, kind, message, retryable: false });
  };
  if (ref === undefined || ref.trim() === '') {
    return fail('auth', `${where} is not set, and this provider needs a key; add \`${context.field.split('.').pop()}: \${env:NAME}\` to the agent file and set NAME in the environment, or try the agent offline with \`voiceagent test\`, which needs no keys`);
  }
  const name = envReferenceName(ref);
  if (name === undefined) {
    // Never echo the value: it may be the key itself.
    return fail('bad-request', `${where} must be an environment reference like \`\${env:OPENAI_API_KEY}\`, not a literal value (keys must not be committed); move the key into an environment variable and refer to it`);
  }
  const value = context.env[name]?.trim();
  if (!value) {
    const state = context.env[name] === undefined ? 'is not set' : 'is empty';
    return fail('auth', `environment variable ${name} ${state} (referenced by ${where}); set ${name} in the environment where the agent runs (\`export ${name}=...\`), or try the agent offline with \`voiceagent test\`, which needs no keys`);
  }
  return value;
}
