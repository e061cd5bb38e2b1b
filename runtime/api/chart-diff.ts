/*
 * What a deploy changes in the call statechart, by path: states added, removed or changed (entry/exit actions,
 * invoked actor, initial child, type, tags), transitions added, removed or changed (actions, params,
 * description), and named delays whose milliseconds changed. A YAML diff says what the author typed; this says
 * what callers will meet, which is what a reviewer of a deploy wants to read.
 *
 * A transition is identified by its state, trigger (`on EVENT`, `after DELAY`, `always`), guard and target, so a
 * guarded transition inserted before others shows as one added transition, not as every later one changing.
 */
import type { CompiledAgent, JsonValue, StateNodeConfig, TransitionConfig, TransitionsConfig } from '../compiler/machine-config.js';

/** One changed item and what about it changed. */
export interface ChartChange {
  /** State path (`listening.bargeIn`), or `state on EVENT [guard] -> target` for a transition, or a delay name. */
  readonly path: string;
  /** For changed items: the fields that differ. */
  readonly fields?: readonly string[];
}

/** The difference between two compiled charts. Empty lists when nothing changed. */
export interface ChartDiff {
  readonly states: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly ChartChange[] };
  readonly transitions: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly ChartChange[] };
  /** Named delays (ms) with a different value, added or removed: `name: 700 -> 500`. */
  readonly delays: readonly string[];
  /** Other top-level parts of the compiled agent that differ (`dynamicDelays`, `backchannels`, `agent.mode`, ...). */
  readonly other: readonly string[];
}

type Node = StateNodeConfig;

/** The chart difference from `before` (the active version; undefined: nothing deployed yet) to `after`. */
export function diffCharts(before: CompiledAgent | undefined, after: CompiledAgent): ChartDiff {
  const oldStates = before ? flattenStates(before.machine) : new Map<string, Node>();
  const newStates = flattenStates(after.machine);
  const oldTransitions = before ? flattenTransitions(oldStates) : new Map<string, Record<string, unknown>>();
  const newTransitions = flattenTransitions(newStates);
  const states = compare(oldStates, newStates, stateFields);
  const transitions = compare(oldTransitions, newTransitions, (t) => t);
  const delays: string[] = [];
  const oldDelays = before?.delays ?? {};
  for (const name of new Set([...Object.keys(oldDelays), ...Object.keys(after.delays)])) {
    const a = oldDelays[name];
    const b = after.delays[name];
    if (a !== b) delays.push(`${name}: ${a ?? '(none)'} -> ${b ?? '(none)'} ms`);
  }
  const other: string[] = [];
  if (before) {
    if (before.agent.mode !== after.agent.mode) other.push(`agent.mode: ${before.agent.mode} -> ${after.agent.mode}`);
    for (const key of ['dynamicDelays', 'speechMilestonesMs', 'backchannels'] as const) {
      if (canonical(before[key] as unknown as JsonValue) !== canonical(after[key] as unknown as JsonValue)) other.push(key);
    }
  }
  return { states, transitions, delays, other };
}

/** True when the diff has no change at all. */
export function isEmptyChartDiff(diff: ChartDiff): boolean {
  const { states: s, transitions: t } = diff;
  return s.added.length + s.removed.length + s.changed.length + t.added.length + t.removed.length + t.changed.length + diff.delays.length + diff.other.length === 0;
}

/** The diff as lines: `+ state a.b`, `- transition ...`, `~ state a (entry)`; `(no chart changes)` when empty. */
export function formatChartDiff(diff: ChartDiff): string {
  if (isEmptyChartDiff(diff)) return '(no chart changes)\n';
  const lines: string[] = [];
  const changed = (c: ChartChange) => (c.fields?.length ? `${c.path} (${c.fields.join(', ')})` : c.path);
  for (const p of diff.states.added) lines.push(`+ state ${p}`);
  for (const p of diff.states.removed) lines.push(`- state ${p}`);
  for (const c of diff.states.changed) lines.push(`~ state ${changed(c)}`);
  for (const p of diff.transitions.added) lines.push(`+ transition ${p}`);
  for (const p of diff.transitions.removed) lines.push(`- transition ${p}`);
  for (const c of diff.transitions.changed) lines.push(`~ transition ${changed(c)}`);
  for (const d of diff.delays) lines.push(`~ delay ${d}`);
  for (const o of diff.other) lines.push(`~ ${o}`);
  return lines.join('\n') + '\n';
}

/** Every state node by dotted path from the root (the root itself is `(root)`). */
function flattenStates(root: Node): Map<string, Node> {
  const out = new Map<string, Node>();
  const walk = (node: Node, path: string) => {
    out.set(path || '(root)', node);
    for (const [key, child] of Object.entries(node.states ?? {})) walk(child, path ? `${path}.${key}` : key);
  };
  walk(root, '');
  return out;
}

/** A state's own fields (not its children or transitions), as comparable JSON. */
function stateFields(node: Node): Record<string, unknown> {
  const { states: _states, on: _on, after: _after, always: _always, ...own } = node;
  return own;
}

/** Every transition by `state trigger [guard] -> target`, valued by its remaining fields. */
function flattenTransitions(states: ReadonlyMap<string, Node>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  const add = (state: string, trigger: string, config: TransitionsConfig | undefined) => {
    for (const t of transitionList(config)) {
      const guard = t.guard === undefined ? '' : ` [${typeof t.guard === 'string' ? t.guard : t.guard.type}]`;
      const base = `${state} ${trigger}${guard} -> ${t.target ?? '(stay)'}`;
      let key = base;
      for (let n = 2; out.has(key); n++) key = `${base} #${n}`;
      const { target: _target, ...rest } = t;
      out.set(key, rest);
    }
  };
  for (const [path, node] of states) {
    for (const [event, config] of Object.entries(node.on ?? {})) add(path, `on ${event}`, config as TransitionsConfig);
    for (const [delay, config] of Object.entries(node.after ?? {})) add(path, `after ${delay}`, config as TransitionsConfig);
    add(path, 'always', node.always);
  }
  return out;
}

function transitionList(config: TransitionsConfig | undefined): TransitionConfig[] {
  if (config === undefined) return [];
  if (typeof config === 'string') return [{ target: config }];
  return Array.isArray(config) ? [...(config as TransitionConfig[])] : [config as TransitionConfig];
}

function compare<T>(before: ReadonlyMap<string, T>, after: ReadonlyMap<string, T>, fieldsOf: (value: T) => object) {
  const added = [...after.keys()].filter((k) => !before.has(k));
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const changed: ChartChange[] = [];
  for (const [key, value] of after) {
    const old = before.get(key);
    if (old === undefined) continue;
    const a = fieldsOf(old) as Record<string, unknown>;
    const b = fieldsOf(value) as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => canonical(a[f] as JsonValue) !== canonical(b[f] as JsonValue)).sort();
    if (fields.length) changed.push({ path: key, fields });
  }
  return { added, removed, changed };
}

/** JSON with sorted keys, so key order never counts as a change. */
export function canonical(value: JsonValue | undefined): string {
  if (value === undefined) return 'undefined';
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}
