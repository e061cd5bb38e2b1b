/*
 * The registry's errors. Each has a stable `code` that the admin API sends as `{ error: code }`, so the deploy CLI
 * can tell drift from an unknown version without parsing messages.
 */

/** Codes of {@link RegistryError}. */
export type RegistryErrorCode = 'drift' | 'unknown-agent' | 'unknown-version' | 'corrupt' | 'locked' | 'invalid';

/** Base of every registry error. */
export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.code = code;
  }
}

/** The active version is not the one the caller planned against: someone else deployed in between. */
export class DriftError extends RegistryError {
  /** The version active now (undefined: none). */
  readonly active: string | undefined;
  /** The version the caller expected (null: none). */
  readonly expected: string | null;
  constructor(agent: string, env: string, active: string | undefined, expected: string | null) {
    super(
      'drift',
      `${agent} in ${env}: the active version is ${active ?? 'none'}, not ${expected ?? 'none'} as expected; someone else deployed in between. ` +
        'Look at `voiceagent versions` and plan again.',
    );
    this.name = 'DriftError';
    this.active = active;
    this.expected = expected;
  }
}

/** No version of this agent was ever pushed. */
export class UnknownAgentError extends RegistryError {
  readonly agent: string;
  constructor(agent: string) {
    super('unknown-agent', `no agent named ${JSON.stringify(agent)} in the registry; push a version first (voiceagent deploy)`);
    this.name = 'UnknownAgentError';
    this.agent = agent;
  }
}

/** This version id was never pushed for this agent. */
export class UnknownVersionError extends RegistryError {
  readonly agent: string;
  readonly version: string;
  constructor(agent: string, version: string) {
    super('unknown-version', `${agent} has no version ${JSON.stringify(version)}; list them with \`voiceagent versions ${agent}\``);
    this.name = 'UnknownVersionError';
    this.agent = agent;
    this.version = version;
  }
}
