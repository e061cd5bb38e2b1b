/*
 * A unified diff of two texts (`diff -u` layout: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with 3 lines of
 * context), for `voiceagent deploy` to show what the YAML changes against the version live on the server.
 * Agent files are a few hundred lines, so a longest-common-subsequence table over the lines between the common
 * head and tail is small and keeps the code obvious; it yields a shortest edit like `diff` does.
 */

/** One line of an edit script. */
interface Edit {
  readonly op: ' ' | '-' | '+';
  readonly text: string;
  /** 1-based line in the old text (for ' ' and '-') or the new one ('+'). */
  readonly oldLine: number;
  readonly newLine: number;
}

/** Options of {@link unifiedDiff}. */
export interface UnifiedDiffOptions {
  /** Label of the old text on the `---` line. */
  readonly fromLabel?: string;
  /** Label of the new text on the `+++` line. */
  readonly toLabel?: string;
  /** Unchanged lines shown around each change. Default: 3. */
  readonly context?: number;
}

/** The unified diff from `before` to `after`, or `''` when the texts are equal. */
export function unifiedDiff(before: string, after: string, options: UnifiedDiffOptions = {}): string {
  if (before === after) return '';
  const context = options.context ?? 3;
  const edits = editScript(splitLines(before), splitLines(after));
  const out = [`--- ${options.fromLabel ?? 'before'}`, `+++ ${options.toLabel ?? 'after'}`];
  for (const hunk of hunks(edits, context)) {
    const olds = hunk.filter((e) => e.op !== '+');
    const news = hunk.filter((e) => e.op !== '-');
    const oldStart = olds.length ? olds[0]!.oldLine : hunk[0]!.oldLine - 1;
    const newStart = news.length ? news[0]!.newLine : hunk[0]!.newLine - 1;
    out.push(`@@ -${oldStart},${olds.length} +${newStart},${news.length} @@`);
    for (const e of hunk) out.push(e.op + e.text);
  }
  return out.join('\n') + '\n';
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The shortest edit script from `a` to `b`, every line of both in order. */
function editScript(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  // lcs[i * (m + 1) + j]: length of the LCS of a[head+i..] and b[head+j..] within the middle part.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] = a[head + i] === b[head + j] ? lcs[(i + 1) * (m + 1) + j + 1]! + 1 : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const edits: Edit[] = [];
  for (let k = 0; k < head; k++) edits.push({ op: ' ', text: a[k]!, oldLine: k + 1, newLine: k + 1 });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) {
      edits.push({ op: ' ', text: a[head + i]!, oldLine: head + i + 1, newLine: head + j + 1 });
      i++;
      j++;
    } else if (j < m && (i === n || lcs[i * (m + 1) + j + 1]! >= lcs[(i + 1) * (m + 1) + j]!)) {
      edits.push({ op: '+', text: b[head + j]!, oldLine: head + i + 1, newLine: head + j + 1 });
      j++;
    } else {
      edits.push({ op: '-', text: a[head + i]!, oldLine: head + i + 1, newLine: head + j + 1 });
      i++;
    }
  }
  for (let k = 0; k < tail; k++) edits.push({ op: ' ', text: a[a.length - tail + k]!, oldLine: a.length - tail + k + 1, newLine: b.length - tail + k + 1 });
  // Removals before additions within a run of changes, as `diff -u` prints them.
  return reorderRuns(edits);
}

function reorderRuns(edits: Edit[]): Edit[] {
  const out: Edit[] = [];
  let run: Edit[] = [];
  const flush = () => {
    out.push(...run.filter((e) => e.op === '-'), ...run.filter((e) => e.op === '+'));
    run = [];
  };
  for (const e of edits) {
    if (e.op === ' ') {
      flush();
      out.push(e);
    } else run.push(e);
  }
  flush();
  return out;
}

/** Groups changes with `context` lines around them; changes closer than twice the context share a hunk. */
function hunks(edits: readonly Edit[], context: number): Edit[][] {
  const changed = edits.map((e, index) => (e.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  const groups: Edit[][] = [];
  let start = -1;
  let end = -1;
  for (const index of changed) {
    if (start >= 0 && index - end > 2 * context) {
      groups.push(edits.slice(Math.max(0, start - context), Math.min(edits.length, end + context + 1)));
      start = -1;
    }
    if (start < 0) start = index;
    end = index;
  }
  if (start >= 0) groups.push(edits.slice(Math.max(0, start - context), Math.min(edits.length, end + context + 1)));
  return groups;
}
