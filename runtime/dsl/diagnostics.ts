/** A problem found in an agent (or project) file, with its position. */
export interface Diagnostic {
  /** Path of the file as given by the caller. */
  readonly file: string;
  /** 1-based line; 0 when the problem is not tied to a place (e.g. the file cannot be read). */
  readonly line: number;
  /** 1-based column; 0 when `line` is 0. */
  readonly column: number;
  readonly severity: 'error' | 'warning';
  /** Stable machine-readable kind, e.g. `unknown-key`, `type`, `range`, `reference`. */
  readonly code: DiagnosticCode;
  /** What is wrong, naming the field (`bargeIn.confirm.minSpeechMs: ...`). */
  readonly message: string;
  /** What to do about it, e.g. "did you mean `minSpeechMs`?". */
  readonly hint?: string;
  /** Dotted path of the field in the document, `''` for the root. */
  readonly path: string;
}

/** Every kind of diagnostic the DSL produces. */
export type DiagnosticCode =
  | 'io-error'
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'not-a-mapping'
  | 'unknown-key'
  | 'required'
  | 'type'
  | 'enum'
  | 'const'
  | 'range'
  | 'length'
  | 'pattern'
  | 'format'
  | 'unique'
  | 'schema'
  | 'reference'
  | 'fallback-cycle'
  | 'missing-voice'
  | 'language'
  | 'mode'
  | 'threshold-order'
  | 'literal-secret'
  | 'regex'
  | 'conflict'
  // `validate --online` (runtime/project/validate-online.ts)
  | 'missing-secret'
  | 'unknown-voice'
  | 'unknown-model'
  | 'online';

/** `file:line:col: error: message` plus an indented hint line, the format compilers and editors understand. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const head = `${where}: ${d.severity}: ${d.message}`;
  return d.hint ? `${head}\n  hint: ${d.hint}` : head;
}

/** Orders diagnostics as they appear in the file (position-less ones first), stable for equal positions. */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  return [...list].sort((a, b) => a.line - b.line || a.column - b.column);
}
