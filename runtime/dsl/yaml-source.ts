import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { describeSyntaxError } from './yaml-syntax.js';

/** A path into a parsed document: object keys and array indices. */
export type DocPath = readonly (string | number)[];

/** `['routing', 0, 'use']` -> `routing[0].use`. */
export function dottedPath(path: DocPath): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** Line and column, 1-based. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A parsed YAML file that can answer "where is this field?". */
export interface YamlSource {
  readonly file: string;
  /** Plain data, or `undefined` when the text could not be parsed into anything usable. */
  readonly data: unknown;
  /** Syntax and duplicate-key problems. */
  readonly diagnostics: readonly Diagnostic[];
  /** True when the syntax errors make the data unreliable (so schema checks would only add noise). */
  readonly broken: boolean;
  /** Where the value at `path` starts; falls back to the nearest ancestor that exists. */
  valueAt(path: DocPath): Position;
  /** Where the key of the entry at `path` starts (for unknown keys); falls back like `valueAt`. */
  keyAt(path: DocPath): Position;
  /** True when `path` is written in the file (as opposed to filled in by a default). */
  has(path: DocPath): boolean;
}

const START: Position = { line: 1, column: 1 };

/** Parses YAML text keeping source positions; never throws. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const pos = (offset: number | undefined): Position => {
    if (offset === undefined) return START;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const diagnostics: Diagnostic[] = [];
  let broken = false;
  const syntaxOffsets = new Set<number>();
  for (const error of doc.errors) {
    const at = pos(error.pos[0]);
    if (error.code === 'DUPLICATE_KEY') {
      const key = keyTextAt(text, error.pos[0]);
      const first = key === undefined ? undefined : firstDefinition(doc, key, error.pos[0], pos);
      const where = first === undefined ? '' : first.path.length ? ` in \`${dottedPath(first.path)}\`` : ' at the top level';
      diagnostics.push({
        file,
        ...at,
        severity: 'error',
        code: 'duplicate-key',
        path: first && key !== undefined ? dottedPath([...first.path, key]) : '',
        message: key === undefined ? 'duplicate key' : `duplicate key \`${key}\`${where}`,
        hint: first ? `it is first defined at line ${first.at.line}; keep one of the two` : 'keep one of the two entries',
      });
      continue;
    }
    broken = true;
    const problem = describeSyntaxError(error, text, doc);
    // The parser often reports a follow-on error at the same place (a misindented line is also a bad key); the first explains it.
    if (syntaxOffsets.has(problem.offset)) continue;
    syntaxOffsets.add(problem.offset);
    diagnostics.push({
      file,
      ...pos(problem.offset),
      severity: 'error',
      code: 'yaml-syntax',
      path: '',
      message: problem.message,
      ...(problem.hint ? { hint: problem.hint } : {}),
    });
  }
  for (const warning of doc.warnings) {
    diagnostics.push({
      file,
      ...pos(warning.pos[0]),
      severity: 'warning',
      code: 'yaml-syntax',
      path: '',
      message: `YAML: ${warning.message}`,
    });
  }

  let data: unknown;
  if (!broken) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      broken = true;
      diagnostics.push({
        file,
        ...START,
        severity: 'error',
        code: 'yaml-syntax',
        path: '',
        message: `YAML: ${(error as Error).message}`,
      });
    }
  }

  const nodeAt = (path: DocPath): { node: Node | undefined; keyNode: Node | undefined; depth: number } => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let depth = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
        if (!pair) break;
        keyNode = pair.key as Node;
        node = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
        keyNode = node.items[segment] as Node;
        node = node.items[segment];
      } else {
        break;
      }
      depth++;
    }
    return { node: node as Node | undefined, keyNode, depth };
  };

  return {
    file,
    data,
    diagnostics,
    broken,
    valueAt(path) {
      const { node, keyNode, depth } = nodeAt(path);
      // A missing leaf: point at the key of its nearest written ancestor, which is what a reader looks for.
      if (depth < path.length) return pos(keyNode?.range?.[0] ?? (node as Node | undefined)?.range?.[0]);
      return pos((node as Node | undefined)?.range?.[0] ?? keyNode?.range?.[0]);
    },
    keyAt(path) {
      const { node, keyNode } = nodeAt(path);
      return pos(keyNode?.range?.[0] ?? (node as Node | undefined)?.range?.[0]);
    },
    has(path) {
      return nodeAt(path).depth === path.length;
    },
  };
}

/** The key text at a duplicate-key error offset (a plain or quoted scalar up to the colon). */
function keyTextAt(text: string, offset: number): string | undefined {
  const match = /^\s*(?:"([^"]*)"|'([^']*)'|([^:#\n]+?))\s*:/.exec(text.slice(offset, offset + 200));
  return match ? (match[1] ?? match[2] ?? match[3]) : undefined;
}

/** Finds the earlier definition of a duplicated key (the first pair with that key in the map holding the duplicate) and that map's path. */
function firstDefinition(doc: Document, key: string, dupOffset: number, pos: (o: number) => Position): { at: Position; path: DocPath } | undefined {
  let found: { at: Position; path: DocPath } | undefined;
  const visit = (node: unknown, path: (string | number)[]): void => {
    if (found) return;
    if (isMap(node)) {
      const same = node.items.filter((p) => isScalar(p.key) && String(p.key.value) === key);
      const dup = same.find((p) => (p.key as Node).range?.[0] === dupOffset);
      if (dup && same[0] && same[0] !== dup) {
        found = { at: pos((same[0].key as Node).range?.[0] ?? 0), path };
        return;
      }
      for (const item of node.items) if (isScalar(item.key)) visit(item.value, [...path, String(item.key.value)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    }
  };
  visit(doc.contents, []);
  return found;
}
