import type { MachineConfig } from '../../runtime/index.js';

/** Known states of each parallel region of the call chart, top level first (`agent: [greeting, idle, ...]`). */
export type RegionStates = Readonly<Record<string, readonly string[]>>;

/** The regions and their top-level states, read from a compiled chart (`prepareAgent(spec).compiled.machine`). */
export function regionStatesOf(machine: MachineConfig): RegionStates {
  const active = machine.states?.['active']?.states ?? {};
  const out: Record<string, string[]> = {};
  for (const [region, node] of Object.entries(active)) out[region] = Object.keys(node.states ?? {});
  return out;
}
