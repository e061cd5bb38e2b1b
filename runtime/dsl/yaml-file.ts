import { readFileSync } from 'node:fs';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseYamlSource, type YamlSource } from './yaml-source.js';

/** A YAML file read and parsed into a mapping, or the diagnostics that say why it could not be. */
export type YamlMappingRead =
  | { readonly ok: true; readonly text: string; readonly source: YamlSource; readonly data: Record<string, unknown>; readonly diagnostics: Diagnostic[] }
  | { readonly ok: false; readonly text?: string; readonly diagnostics: readonly Diagnostic[] };

/** What kind of file is being read, for messages: `agent`, `project`, `scenario`. */
export interface YamlFileKind {
  readonly noun: string;
  /** What the top of a valid file looks like, e.g. "`apiVersion: voiceagent/v1`, `name: ...`". */
  readonly example: string;
  /** Where a user can start from. */
  readonly hint: string;
  /** What to do when the file is missing or unreadable, if there is advice to give. */
  readonly ioHint?: string;
}

/**
 * The shared first steps of every loader (agent, project, scenario): read the file unless its text is given,
 * parse it keeping positions, and require a mapping at the top. Never throws: an unreadable file is an
 * `io-error` diagnostic, a syntax error stops here (schema checks on broken data would only add noise).
 */
export function readYamlMapping(input: { readonly file: string; readonly text?: string }, kind: YamlFileKind): YamlMappingRead {
  let text = input.text;
  if (text === undefined) {
    try {
      text = readFileSync(input.file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      return { ok: false, diagnostics: [{ file: input.file, line: 0, column: 0, severity: 'error', code: 'io-error', path: '', message: `cannot read ${kind.noun} file: ${reason}`, ...(kind.ioHint ? { hint: kind.ioHint } : {}) }] };
    }
  }
  const source = parseYamlSource(text, input.file);
  const diagnostics: Diagnostic[] = [...source.diagnostics];
  if (source.broken) return { ok: false, text, diagnostics: sortDiagnostics(diagnostics) };
  const data: unknown = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const found = data === null || data === undefined ? 'is empty' : Array.isArray(data) ? 'holds a list' : `holds a single ${typeof data === 'string' ? 'text' : typeof data}`;
    diagnostics.push({
      file: input.file,
      ...source.valueAt([]),
      severity: 'error',
      code: 'not-a-mapping',
      path: '',
      message: `${/^[aeiou]/.test(kind.noun) ? 'an' : 'a'} ${kind.noun} file must be a YAML mapping of keys to values (${kind.example}), but this file ${found}`,
      hint: kind.hint,
    });
    return { ok: false, text, diagnostics: sortDiagnostics(diagnostics) };
  }
  return { ok: true, text, source, data: data as Record<string, unknown>, diagnostics };
}
