import { isMap, isScalar, isSeq, visit, type Document, type YAMLError } from 'yaml';

/** A syntax error restated for someone editing an agent file: where to look and what to do. */
export interface SyntaxProblem {
  /** Offset in the text where the fix belongs (the unclosed bracket or quote, the misindented key). */
  readonly offset: number;
  readonly message: string;
  readonly hint?: string;
}

/**
 * Restates a YAML parse error. The parser reports an unclosed bracket or quote where it gave up (often the
 * next top-level key or the end of the file), which is not where the fix goes; point at the opening character.
 */
export function describeSyntaxError(error: YAMLError, text: string, doc: Document): SyntaxProblem {
  const offset = error.pos[0];
  const raw = error.message.replace(/\s+at line \d+, column \d+.*$/s, '');
  const closer = /end with a ([\]}])$/.exec(raw)?.[1];
  if (closer) {
    const opener = unclosedFlowCollection(doc, text, offset, closer);
    if (opener !== undefined) {
      const open = closer === '}' ? '{' : '[';
      const what = closer === '}' ? 'mapping' : 'list';
      // The closer is there, on a line the parser stopped at because it is not indented enough.
      if (lineAt(text, offset).includes(closer)) {
        const { line, column } = linePos(text, opener);
        return {
          offset: skipSpaces(text, offset),
          message: `YAML syntax: this line continues the \`${open}\` opened at line ${line}, column ${column}, but is not indented more than its key`,
          hint: `indent the lines of a ${what} written over several lines more than its key, or write it on one line`,
        };
      }
      return {
        offset: opener,
        message: `YAML syntax: this \`${open}\` is never closed with \`${closer}\``,
        hint: `add the missing \`${closer}\` at the end of the ${what}`,
      };
    }
  }
  const quote = /^Missing closing (["'])quote$/.exec(raw)?.[1];
  if (quote) {
    const opener = unclosedQuote(doc, text, offset, quote);
    return {
      offset: opener ?? offset,
      message: `YAML syntax: this \`${quote}\` quote is never closed`,
      hint: `add the closing \`${quote}\` at the end of the text`,
    };
  }
  const stray = /^Unexpected flow-(seq|map)-end token/.exec(raw)?.[1];
  if (stray) {
    const [open, close] = stray === 'seq' ? ['[', ']'] : ['{', '}'];
    return { offset, message: `YAML syntax: this \`${close}\` has no matching \`${open}\``, hint: `remove it, or add the \`${open}\` it closes` };
  }
  return { offset: error.code === 'BAD_INDENT' ? skipSpaces(text, offset) : offset, message: `YAML syntax: ${raw}`, hint: syntaxHint(error.code) };
}

/** The start of the latest flow collection (`{`/`[`) opened before `before` whose text does not end with its closer. */
function unclosedFlowCollection(doc: Document, text: string, before: number, closer: string): number | undefined {
  let found: number | undefined;
  const check = (range: readonly number[] | undefined | null) => {
    if (!range || range[0]! >= before) return;
    const start = range[0]!;
    const opener = closer === '}' ? '{' : '[';
    if (text[start] === opener && !text.slice(start, range[1]).trimEnd().endsWith(closer) && (found === undefined || start > found)) found = start;
  };
  visit(doc, {
    Map: (_, node) => (isMap(node) && node.flow ? check(node.range) : undefined),
    Seq: (_, node) => (isSeq(node) && node.flow ? check(node.range) : undefined),
  });
  return found;
}

/** The start of the latest quoted scalar opened before `before` with that quote whose text does not end with it. */
function unclosedQuote(doc: Document, text: string, before: number, quote: string): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar: (_, node) => {
      const range = isScalar(node) ? node.range : undefined;
      if (!range || range[0] > before || text[range[0]] !== quote) return;
      const body = text.slice(range[0], range[1]).trimEnd();
      if ((body.length < 2 || !body.endsWith(quote)) && (found === undefined || range[0] > found)) found = range[0];
    },
  });
  return found;
}

function lineAt(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return text.slice(start, end === -1 ? text.length : end);
}

function linePos(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** The parser points at the start of a misindented line; the key itself is what the reader must move. */
function skipSpaces(text: string, offset: number): number {
  let i = offset;
  while (text[i] === ' ') i++;
  return text[i] === '\n' || i >= text.length ? offset : i;
}

function syntaxHint(code: string): string | undefined {
  switch (code) {
    case 'BAD_INDENT':
      return 'indent this line like the other keys of the same mapping (or list items of the same list), using spaces';
    case 'MISSING_CHAR':
      return 'check the brackets and quotes on this line and the one before';
    case 'TAB_AS_INDENT':
      return 'YAML indentation must use spaces, not tabs';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a key must fit on one line and be followed by `: `; quote values that contain `: `';
    case 'UNEXPECTED_TOKEN':
      return 'quote values that contain `: `, `#`, `{` or `[`, and check that brackets are balanced';
    default:
      return undefined;
  }
}
