/*
 * A strict reader for the subset of Mermaid `stateDiagram-v2` that `toMermaid` writes. It rejects any other
 * line, and it checks the rules that make a diagram render the same in every Mermaid release: every state
 * declared once before it is mentioned, `--` only inside a composite, and a transition written inside a
 * block only between two states declared directly in that block (Mermaid moves a state into the last block
 * that mentions it: mermaid-js/mermaid#5290).
 */

/** A declared state: its Mermaid id, the label shown, and the id of the block it was declared in. */
export interface DeclaredState {
  readonly id: string;
  readonly label: string;
  /** Id of the enclosing composite, `''` at the top level. */
  readonly parent: string;
  readonly composite: boolean;
  /** Number of `--` separators directly inside this composite. */
  separators: number;
}

/** A transition line `from --> to : label`. */
export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  /** Id of the block the line is written in, `''` at the top level. */
  readonly block: string;
}

/** What a diagram holds, plus every rule it breaks (empty when it is well formed). */
export interface DiagramReport {
  readonly states: Map<string, DeclaredState>;
  readonly edges: DiagramEdge[];
  /** `[*] --> id` lines, by block. */
  readonly initials: Map<string, string>;
  readonly finals: string[];
  readonly problems: string[];
}

const ID = '[A-Za-z_][A-Za-z0-9_]*';
const STATE = new RegExp(`^state "([^"]+)" as (${ID})( \\{)?$`);
const EDGE = new RegExp(`^(${ID}) --> (${ID}) : (\\S.*)$`);
const INITIAL = new RegExp(`^\\[\\*\\] --> (${ID})$`);
const FINAL = new RegExp(`^(${ID}) --> \\[\\*\\]$`);

/** Reads a diagram line by line; `report.problems` lists each line that breaks a rule, with its number. */
export function lintMermaid(text: string): DiagramReport {
  const report: DiagramReport = { states: new Map(), edges: [], initials: new Map(), finals: [], problems: [] };
  const lines = text.split('\n');
  if (lines[0] !== 'stateDiagram-v2') report.problems.push('line 1: expected `stateDiagram-v2`');
  if (lines.at(-1) !== '') report.problems.push('the text does not end with a newline');
  const stack: string[] = [''];
  lines.slice(1, -1).forEach((raw, i) => {
    const problem = readLine(raw.trim(), stack, report);
    if (problem) report.problems.push(`line ${i + 2}: ${problem}: ${raw}`);
  });
  if (stack.length !== 1) report.problems.push(`unclosed block ${stack.at(-1)}`);
  // Mermaid splits a block with `--` into unnamed sections: a transition written there moves its states.
  for (const edge of report.edges) {
    if (edge.block && report.states.get(edge.block)!.separators > 0) report.problems.push(`transition ${edge.from} --> ${edge.to} is written inside the parallel block ${edge.block}`);
  }
  for (const [block, id] of report.initials) {
    if (report.states.get(id)?.parent !== block) report.problems.push(`initial arrow of ${block || 'the top level'} points to ${id}, not one of its states`);
  }
  return report;
}

function readLine(line: string, stack: string[], report: DiagramReport): string | undefined {
  const block = stack.at(-1)!;
  if (line.startsWith('%%')) return undefined;
  if (line === '}') {
    if (stack.length === 1) return 'closing brace without a block';
    stack.pop();
    return undefined;
  }
  if (line === '--') {
    if (!block) return '`--` outside a composite state';
    report.states.get(block)!.separators++;
    return undefined;
  }
  let m = STATE.exec(line);
  if (m) {
    const [, label, id, open] = m as unknown as [string, string, string, string | undefined];
    if (report.states.has(id)) return `state ${id} declared twice`;
    report.states.set(id, { id, label, parent: block, composite: open !== undefined, separators: 0 });
    if (open) stack.push(id);
    return undefined;
  }
  if ((m = INITIAL.exec(line))) {
    if (report.initials.has(block)) return 'second initial arrow in one block';
    report.initials.set(block, m[1]!);
    return undefined;
  }
  if ((m = FINAL.exec(line))) {
    report.finals.push(m[1]!);
    return undefined;
  }
  if ((m = EDGE.exec(line))) {
    const [, from, to, label] = m as unknown as [string, string, string, string];
    for (const id of [from, to]) {
      const state = report.states.get(id);
      if (!state) return `transition mentions ${id} before (or without) declaring it`;
      if (block && state.parent !== block) return `transition inside ${block} mentions ${id}, which is declared in ${state.parent || 'the top level'}`;
    }
    report.edges.push({ from, to, label, block });
    return undefined;
  }
  return 'not a statement of the diagram subset';
}
