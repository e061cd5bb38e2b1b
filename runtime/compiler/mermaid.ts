import type { MachineConfig, NamedRef, StateNodeConfig, TransitionConfig, TransitionsConfig } from './machine-config.js';

/**
 * Renders a compiled chart as a Mermaid `stateDiagram-v2`: composite states nest, parallel regions are
 * separated by `--`, transitions are labelled `EVENT [guard]` (delays as `after name`).
 */
export function toMermaid(machine: MachineConfig): string {
  const lines = ['stateDiagram-v2'];
  const ids = new Map<string, string>();
  collectIds(machine, [], ids);
  renderChildren(machine, [], ids, lines, '  ');
  return lines.join('\n') + '\n';
}

const idOf = (path: readonly string[]) => (path.length ? path.join('_').replace(/[^A-Za-z0-9_]/g, '_') : 'root');

function collectIds(node: StateNodeConfig, path: string[], ids: Map<string, string>): void {
  ids.set(path.join('.'), idOf(path));
  for (const [name, child] of Object.entries(node.states ?? {})) collectIds(child, [...path, name], ids);
}

function renderChildren(node: StateNodeConfig, path: string[], ids: Map<string, string>, lines: string[], indent: string): void {
  const children = Object.entries(node.states ?? {});
  if (node.type === 'parallel') {
    children.forEach(([name, child], i) => {
      if (i > 0) lines.push(`${indent}--`);
      renderState(name, child, [...path, name], ids, lines, indent);
    });
    return;
  }
  if (node.initial) lines.push(`${indent}[*] --> ${idOf([...path, node.initial])}`);
  for (const [name, child] of children) renderState(name, child, [...path, name], ids, lines, indent);
}

function renderState(name: string, node: StateNodeConfig, path: string[], ids: Map<string, string>, lines: string[], indent: string): void {
  const id = idOf(path);
  if (node.states) {
    lines.push(`${indent}state "${name}" as ${id} {`);
    renderChildren(node, path, ids, lines, indent + '  ');
    lines.push(`${indent}}`);
  } else {
    lines.push(`${indent}state "${name}" as ${id}`);
  }
  if (node.type === 'final') lines.push(`${indent}${id} --> [*]`);
  const edges: [string, TransitionsConfig][] = [
    ...Object.entries(node.on ?? {}),
    ...Object.entries(node.after ?? {}).map(([delay, t]) => [`after ${delay}`, t] as [string, TransitionsConfig]),
    ...(node.always ? [['always', node.always] as [string, TransitionsConfig]] : []),
  ];
  for (const [event, transitions] of edges) {
    for (const t of normalise(transitions)) {
      const target = resolveTarget(t.target, path, ids) ?? id;
      const guard = t.guard ? ` [${refName(t.guard)}]` : '';
      lines.push(`${indent}${id} --> ${target} : ${event}${guard}`);
    }
  }
}

function normalise(t: TransitionsConfig): TransitionConfig[] {
  if (typeof t === 'string') return [{ target: t }];
  return Array.isArray(t) ? [...(t as TransitionConfig[])] : [t as TransitionConfig];
}

function refName(ref: NamedRef): string {
  return typeof ref === 'string' ? ref : ref.type;
}

/** `#call.active.agent.idle` (absolute), `.fr` (child), `paused` (sibling) -> a Mermaid id. */
function resolveTarget(target: string | undefined, path: string[], ids: Map<string, string>): string | undefined {
  if (target === undefined) return undefined;
  let full: string[];
  if (target.startsWith('#')) full = target.slice(1).split('.').slice(1);
  else if (target.startsWith('.')) full = [...path, ...target.slice(1).split('.')];
  else full = [...path.slice(0, -1), ...target.split('.')];
  return ids.get(full.join('.')) ?? idOf(full);
}
