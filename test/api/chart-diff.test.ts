/*
 * The chart diff tells a reviewer what callers will meet after a deploy: here, a receptionist's barge-in pause
 * threshold and its endpointing change (delays), and hand-made charts show states and transitions added,
 * removed and changed by path, with an inserted guarded transition reading as one addition.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffCharts, formatChartDiff, isEmptyChartDiff } from '../../runtime/api/chart-diff.js';
import { compileAgent } from '../../runtime/compiler/index.js';
import type { CompiledAgent } from '../../runtime/compiler/machine-config.js';
import { loadAgent } from '../../runtime/dsl/load-agent.js';

const receptionist = readFileSync(new URL('../../templates/receptionist/agents/receptionist.yaml', import.meta.url), 'utf8');

function compile(text: string): CompiledAgent {
  const loaded = loadAgent({ file: 'receptionist.yaml', text });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return compileAgent(loaded.spec);
}

function chart(machine: object): CompiledAgent {
  return { format: 'voiceagent/compiled-agent@1', agent: { name: 'a', mode: 'cascade' }, machine: { id: 'call', ...machine }, delays: {}, dynamicDelays: {}, speechMilestonesMs: [], backchannels: {} } as unknown as CompiledAgent;
}

describe('diffCharts', () => {
  it('finds nothing between two compilations of the same file', () => {
    const diff = diffCharts(compile(receptionist), compile(receptionist));
    expect(isEmptyChartDiff(diff)).toBe(true);
    expect(formatChartDiff(diff)).toBe('(no chart changes)\n');
  });

  it('shows a changed YAML number where callers meet it', () => {
    const changed = receptionist.replace('pauseAfterMs: 80', 'pauseAfterMs: 120');
    expect(changed).not.toBe(receptionist);
    const diff = diffCharts(compile(receptionist), compile(changed));
    expect(isEmptyChartDiff(diff)).toBe(false);
    expect(formatChartDiff(diff)).toMatch(/~ (delay|state|transition|speechMilestonesMs)/);
  });

  it('lists every state and transition as added on a first deploy', () => {
    const diff = diffCharts(undefined, chart({ initial: 'idle', states: { idle: { on: { GO: 'busy' } }, busy: {} } }));
    expect(diff.states.added).toEqual(['(root)', 'idle', 'busy']);
    expect(diff.transitions.added).toEqual(['idle on GO -> busy']);
  });

  it('reports states and transitions added, removed and changed by path', () => {
    const before = chart({
      initial: 'idle',
      states: {
        idle: { entry: 'greet', on: { GO: [{ target: 'busy', actions: 'a' }] }, after: { wait: 'gone' } },
        busy: { states: { one: {}, two: {} } },
        gone: { type: 'final' },
      },
    });
    const after = chart({
      initial: 'idle',
      states: {
        idle: { entry: 'welcome', on: { GO: [{ target: 'busy', guard: 'ready' }, { target: 'busy', actions: 'b' }] }, after: { wait: 'gone' } },
        busy: { states: { one: {}, three: {} } },
        gone: { type: 'final' },
      },
    });
    const diff = diffCharts(before, after);
    expect(diff.states).toEqual({ added: ['busy.three'], removed: ['busy.two'], changed: [{ path: 'idle', fields: ['entry'] }] });
    expect(diff.transitions).toEqual({
      added: ['idle on GO [ready] -> busy'],
      removed: [],
      changed: [{ path: 'idle on GO -> busy', fields: ['actions'] }],
    });
    expect(formatChartDiff(diff)).toBe(
      ['+ state busy.three', '- state busy.two', '~ state idle (entry)', '+ transition idle on GO [ready] -> busy', '~ transition idle on GO -> busy (actions)', ''].join('\n'),
    );
  });

  it('reports a delay whose milliseconds changed', () => {
    const a = { ...chart({}), delays: { endpointMs: 700 } } as CompiledAgent;
    const b = { ...chart({}), delays: { endpointMs: 500, graceMs: 100 } } as CompiledAgent;
    expect(diffCharts(a, b).delays).toEqual(['endpointMs: 700 -> 500 ms', 'graceMs: (none) -> 100 ms']);
  });
});
