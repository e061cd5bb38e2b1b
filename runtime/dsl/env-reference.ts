/**
 * Keys are written in agent files as `${env:NAME}`. People write them the way their shell or CI does instead
 * (`${OPENAI_API_KEY}`, `$OPENAI_API_KEY`) or nearly right (`${ENV:NAME}`, `${env.NAME}`, a lost brace). Those
 * name a variable, they are not keys: the checks say how to write them rather than calling them leaked secrets.
 */

/** A mis-written environment reference: the variable it names and how it was written. */
export interface MisspelledEnvReference {
  /** The variable name, e.g. `OPENAI_API_KEY`. */
  readonly variable: string;
  /** `shell`: `${NAME}` or `$NAME`, which shells and CI systems expand and voiceagent does not; `other`: any other near miss. */
  readonly style: 'shell' | 'other';
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const SHELL = new RegExp(`^\\$(?:\\{\\s*(${NAME})\\s*\\}|(${NAME}))$`);
// `${ENV:NAME}`, `${env.NAME}`, `${{ env.NAME }}`, `$(NAME)`, `${env:NAME` (no closing brace), `{env:NAME}`.
const NEAR_MISS = new RegExp(`^\\$?(?:\\{\\{?|\\()\\s*(?:env[:.]\\s*)?(${NAME})\\s*(?:\\}\\}?|\\))?$`, 'i');

/**
 * The variable named by a value that is an environment reference written in some other syntax than
 * `${env:NAME}`, or undefined (a correct reference, or anything else, such as a literal key).
 */
export function misspelledEnvReference(value: string): MisspelledEnvReference | undefined {
  const text = value.trim();
  if (/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(text)) return undefined;
  const shell = SHELL.exec(text);
  if (shell) return { variable: (shell[1] ?? shell[2])!, style: 'shell' };
  const near = NEAR_MISS.exec(text);
  return near ? { variable: near[1]!, style: 'other' } : undefined;
}
