import type { ChartVocabulary, MachineConfig as TypedMachineConfig, NamedRef, StateNodeConfig as TypedStateNodeConfig, TransitionConfig as TypedTransitionConfig, TransitionsConfig as TypedTransitionsConfig } from './machine-config.js';

// Mermaid draws any chart, whatever names it uses.
type MachineConfig = TypedMachineConfig<ChartVocabulary>;
type StateNodeConfig = TypedStateNodeConfig<ChartVocabulary>;
type TransitionConfig = TypedTransitionConfig<ChartVocabulary>;
type TransitionsConfig = TypedTransitionsConfig<ChartVocabulary>;

/*
 * Mermaid's state diagrams place a state in the composite whose block *last mentions it* (mermaid-js/mermaid
 * #5290, fixed only in recent 11.x), and some releases crash on a self-loop of a nested composite (#4866) or
 * draw an edge from a composite into its own children on top of them. So the output is laid out to be read
 * the same by every release:
 * - every state is declared, nested, before any transition mentions it;
 * - a transition between two children of the same (non-parallel) composite is written inside that block;
 * - every other transition is written at the top level, after all declarations: top-level mentions never move
 *   a state, and a transition between parallel regions has no block of its own anyway;
 * - a transition of a composite into itself or its own children (the `language` region's switch, `responding`
 *   re-entered by a newer turn) is drawn from each child it can leave, which is what it means.
 */

/**
 * Renders a compiled chart as a Mermaid `stateDiagram-v2`: composite states nest, parallel regions are
 * separated by `--`, transitions are labelled `EVENT [guard]` (delays as `after name`, eventless ones as
 * `always`). Transitions without a target stay in their state and are drawn as self-loops.
 */
export function toMermaid(machine: MachineConfig): string {
  // `--` at the top level would put the trailing transitions inside the last region: box a parallel root.
  const boxRoot = machine.type === 'parallel';
  const states = indexStates(machine, boxRoot);
  const edges = collectEdges(machine, states);
  const lines = ['stateDiagram-v2'];
  const root = states.get('')!;
  if (boxRoot) {
    renderState(root, states, edges, lines, '  ');
    lines.push('  [*] --> ' + root.id);
  } else {
    renderBody(root, states, edges, lines, '  ');
  }
  for (const edge of edges.topLevel) lines.push(`  ${edgeLine(edge)}`);
  for (const note of edges.notDrawn) lines.push(`  %% not drawn: ${note}`);
  return lines.join('\n') + '\n';
}

/** A state of the chart with its place in the tree and its Mermaid id. */
interface StateInfo {
  readonly key: string;
  readonly name: string;
  readonly path: readonly string[];
  readonly node: StateNodeConfig;
  readonly id: string;
  readonly parent?: string;
  readonly children: readonly string[];
}

/** One drawn arrow. */
interface Edge {
  readonly from: string;
  readonly to: string;
  readonly label: string;
}

/** Arrows grouped by the block they are written in (keyed by the composite's key), plus the top-level ones. */
interface Edges {
  readonly inBlock: Map<string, Edge[]>;
  readonly topLevel: Edge[];
  readonly notDrawn: string[];
}

// Ids that Mermaid 10-11 reject or misread as a state (`root` is the name it gives the whole document).
const KEYWORDS = new Set(['state', 'note', 'as', 'class', 'classdef', 'style', 'click', 'scale', 'default', 'root']);

/** Every state by its dotted path (`''` for the root). The root gets an id only when it is drawn as a box. */
function indexStates(machine: MachineConfig, boxRoot: boolean): Map<string, StateInfo> {
  const states = new Map<string, StateInfo>();
  const used = new Set<string>();
  const sanitise = (text: string) => text.replace(/[^A-Za-z0-9_]/g, '_');
  const visit = (node: StateNodeConfig, path: string[], parent?: string): void => {
    const key = path.join('.');
    const children = Object.keys(node.states ?? {}).map((name) => [...path, name].join('.'));
    const id = path.length ? uniqueId(sanitise(path.join('_')), used) : boxRoot ? uniqueId(sanitise(machine.id), used) : '';
    states.set(key, { key, name: path.at(-1) ?? machine.id, path, node, id, ...(parent !== undefined ? { parent } : {}), children });
    for (const [name, child] of Object.entries(node.states ?? {})) visit(child, [...path, name], key);
  };
  visit(machine, []);
  return states;
}

/** `agent_idle`, or `agent_idle_2` when two state paths flatten to the same id or the id is a keyword. */
function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id) || KEYWORDS.has(id.toLowerCase()); n++) id = `${base}_${n}`;
  used.add(id);
  return id;
}

function renderBody(info: StateInfo, states: Map<string, StateInfo>, edges: Edges, lines: string[], indent: string): void {
  const children = info.children.map((key) => states.get(key)!);
  if (info.node.type === 'parallel') {
    children.forEach((child, i) => {
      if (i > 0) lines.push(`${indent}--`);
      renderState(child, states, edges, lines, indent);
    });
    return;
  }
  const initial = initialChild(info, states);
  if (initial) lines.push(`${indent}[*] --> ${initial.id}`);
  for (const child of children) renderState(child, states, edges, lines, indent);
  for (const edge of edges.inBlock.get(info.key) ?? []) lines.push(`${indent}${edgeLine(edge)}`);
}

function renderState(info: StateInfo, states: Map<string, StateInfo>, edges: Edges, lines: string[], indent: string): void {
  const label = `state "${info.name.replace(/"/g, '#quot;')}" as ${info.id}`;
  if (info.children.length > 0) {
    lines.push(`${indent}${label} {`);
    renderBody(info, states, edges, lines, indent + '  ');
    lines.push(`${indent}}`);
  } else {
    lines.push(`${indent}${label}`);
  }
  if (info.node.type === 'final') lines.push(`${indent}${info.id} --> [*]`);
}

const edgeLine = (edge: Edge) => `${edge.from} --> ${edge.to} : ${edge.label}`;
const childKey = (info: StateInfo, name: string) => (info.key ? `${info.key}.${name}` : name);

function collectEdges(machine: MachineConfig, states: Map<string, StateInfo>): Edges {
  const edges: Edges = { inBlock: new Map(), topLevel: [], notDrawn: [] };
  const absolute = (info: StateInfo) => `#${[machine.id, ...info.path].join('.')}`;
  for (const info of states.values()) {
    for (const [label, transition] of transitionsOf(info.node)) {
      const target = transition.target === undefined ? undefined : resolveTarget(transition.target, info, machine.id, states);
      if (transition.target !== undefined && target === undefined) {
        throw new Error(`toMermaid: state ${absolute(info)} has a transition to "${transition.target}", which is not a state of this chart.`);
      }
      const drawn = arrows(info, target, states);
      if (drawn.length === 0) edges.notDrawn.push(`${absolute(info)} : ${label}${target ? ` (to ${absolute(target)})` : ' (no target)'}`);
      for (const [from, to] of drawn) place(edges, states, from, to, label);
    }
  }
  return edges;
}

/** Every transition of a state node with its label: `EVENT [guard]`, `after delay [guard]`, `always [guard]`. */
function transitionsOf(node: StateNodeConfig): [string, TransitionConfig][] {
  const groups: [string, TransitionsConfig][] = [
    ...Object.entries(node.on ?? {}),
    ...Object.entries(node.after ?? {}).map(([delay, t]): [string, TransitionsConfig] => [`after ${delay}`, t]),
    ...(node.always ? [['always', node.always] as [string, TransitionsConfig]] : []),
  ];
  return groups.flatMap(([event, transitions]) =>
    normalise(transitions).map((t): [string, TransitionConfig] => [t.guard ? `${event} [${refName(t.guard)}]` : event, t]),
  );
}

/**
 * The arrows that show one transition. A composite's transition into itself or one of its children is drawn
 * from each child it leaves (a re-entry goes to the initial child); anything else is one arrow. None when
 * there is nothing to draw: a composite's targetless transition, or one that stays inside a parallel state.
 */
function arrows(source: StateInfo, to: StateInfo | undefined, states: Map<string, StateInfo>): [StateInfo, StateInfo][] {
  // The root has no box (unless parallel): a transition to it restarts the chart in its initial state.
  const target = to?.id === '' ? initialChild(to, states) : to;
  if (to && !target) return [];
  if (source.children.length === 0) return [[source, target ?? source]];
  if (!target) return [];
  if (!isSelfOrDescendant(target, source)) return [[source, target]];
  const entered = target === source ? initialChild(source, states) : target;
  if (!entered || source.node.type === 'parallel') return [];
  // The child of `source` that holds the entered state: the arrows come from its siblings.
  const via = entered.path.slice(0, source.path.length + 1).join('.');
  return source.children.filter((key) => key !== via).map((key) => [states.get(key)!, entered]);
}

function initialChild(info: StateInfo, states: Map<string, StateInfo>): StateInfo | undefined {
  return info.node.initial === undefined ? undefined : states.get(childKey(info, info.node.initial));
}

function isSelfOrDescendant(state: StateInfo, ancestor: StateInfo): boolean {
  return state.key === ancestor.key || ancestor.key === '' || state.key.startsWith(`${ancestor.key}.`);
}

/** Inside the block of the shared parent when both ends have one (not parallel), else at the top level. */
function place(edges: Edges, states: Map<string, StateInfo>, from: StateInfo, to: StateInfo, label: string): void {
  const edge = { from: from.id, to: to.id, label };
  const parent = from.parent !== undefined && from.parent === to.parent ? states.get(from.parent) : undefined;
  if (!parent || parent.node.type === 'parallel') {
    edges.topLevel.push(edge);
    return;
  }
  const block = edges.inBlock.get(parent.key) ?? [];
  block.push(edge);
  edges.inBlock.set(parent.key, block);
}

function normalise(t: TransitionsConfig): TransitionConfig[] {
  if (typeof t === 'string') return [{ target: t }];
  return Array.isArray(t) ? [...(t as TransitionConfig[])] : [t as TransitionConfig];
}

function refName(ref: NamedRef): string {
  return typeof ref === 'string' ? ref : ref.type;
}

/** `#call.active.agent.idle` (absolute), `.fr` (child), `paused` (sibling) -> the state, if it exists. */
function resolveTarget(target: string, source: StateInfo, rootId: string, states: Map<string, StateInfo>): StateInfo | undefined {
  if (target.startsWith('#')) {
    const [id, ...rest] = target.slice(1).split('.');
    const base = id === rootId ? states.get('') : [...states.values()].find((s) => s.node.id === id);
    return base && states.get([...base.path, ...rest].join('.'));
  }
  if (target.startsWith('.')) return states.get([...source.path, ...target.slice(1).split('.')].join('.'));
  if (source.parent === undefined) return undefined;
  return states.get([...source.path.slice(0, -1), ...target.split('.')].join('.'));
}
