// toMermaid on small hand-written charts: the shapes the example agents do not have (a parallel root, a
// composite's own targetless transition, names that flatten to the same id, Mermaid keywords as state names).
// Every diagram must pass the same strict reader as the example agents' diagrams.
import { describe, expect, it } from 'vitest';
import { toMermaid, type MachineConfig } from '../../runtime/compiler/index.js';
import { lintMermaid } from './mermaid-lint.js';

/** Renders and checks; returns the trimmed lines. */
function render(machine: MachineConfig): string[] {
  const text = toMermaid(machine);
  expect(lintMermaid(text).problems).toEqual([]);
  return text.split('\n').map((line) => line.trim());
}

describe('toMermaid', () => {
  it('draws a compound root without a box, final states with an end arrow', () => {
    const lines = render({ id: 'm', initial: 'a', states: { a: { on: { GO: 'b' } }, b: { type: 'final' } } });
    expect(lines).toEqual(['stateDiagram-v2', '[*] --> a', 'state "a" as a', 'state "b" as b', 'b --> [*]', 'a --> b : GO', '']);
  });

  it('boxes a parallel root so that transitions after it stay out of the last region', () => {
    const lines = render({
      id: 'm',
      type: 'parallel',
      states: {
        left: { initial: 'x', states: { x: { on: { GO: '#m.right.y' } } } },
        right: { initial: 'y', states: { y: {} } },
      },
    });
    expect(lines.slice(0, 3)).toEqual(['stateDiagram-v2', 'state "m" as m {', 'state "left" as left {']);
    expect(lines).toContain('[*] --> m');
    expect(lines).toContain('--');
    expect(lines.at(-2)).toBe('left_x --> right_y : GO');
  });

  it('writes a transition between two blocks at the top level, after every state is declared', () => {
    const lines = render({
      id: 'm',
      initial: 'a',
      states: {
        a: { initial: 'inner', states: { inner: { on: { OUT: '#m.b' } } } },
        b: {},
      },
    });
    expect(lines.indexOf('a_inner --> b : OUT')).toBeGreaterThan(lines.indexOf('state "b" as b'));
  });

  it('draws a composite\'s transition into its own children from each child it leaves', () => {
    const lines = render({
      id: 'm',
      initial: 'lang',
      states: { lang: { initial: 'en', on: { SWITCH: [{ guard: 'toFr', target: '.fr' }, { target: '.en' }], RESTART: { target: 'lang', reenter: true } }, states: { en: {}, fr: {} } } },
    });
    expect(lines).toContain('lang_en --> lang_fr : SWITCH [toFr]');
    expect(lines).toContain('lang_fr --> lang_en : SWITCH');
    expect(lines).toContain('lang_fr --> lang_en : RESTART');
    expect(lines.filter((line) => line.startsWith('lang -->'))).toEqual([]);
  });

  it('draws a targetless transition as a self-loop on an atomic state and notes it on a composite', () => {
    const lines = render({
      id: 'm',
      initial: 'a',
      states: { a: { initial: 'x', after: { tick: { actions: 'log' } }, states: { x: { on: { PING: { actions: 'pong' } } } } } },
    });
    expect(lines).toContain('a_x --> a_x : PING');
    expect(lines).toContain('%% not drawn: #m.a : after tick (no target)');
  });

  it('keeps ids unique when names flatten alike or are Mermaid keywords, and quotes labels', () => {
    const lines = render({
      id: 'm',
      initial: 'a_b',
      states: { a_b: {}, a: { initial: 'b', states: { b: {} } }, note: { on: { GO: 'state' } }, state: {}, 'say "hi"': {} },
    });
    expect(lines).toContain('state "a_b" as a_b');
    expect(lines).toContain('state "b" as a_b_2');
    expect(lines).toContain('state "note" as note_2');
    expect(lines).toContain('note_2 --> state_2 : GO');
    expect(lines).toContain('state "say #quot;hi#quot;" as say__hi_');
  });

  it('refuses a target that names no state, saying which', () => {
    expect(() => toMermaid({ id: 'm', initial: 'a', states: { a: { on: { GO: 'nowhere' } } } })).toThrow(
      'toMermaid: state #m.a has a transition to "nowhere", which is not a state of this chart.',
    );
  });
});
