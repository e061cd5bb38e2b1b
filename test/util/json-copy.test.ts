import { describe, expect, it } from 'vitest';
import { copyJsonInto, frozenJsonCopy } from '../../runtime/util/json-copy.js';
import { readEventStream, recordedStreams } from '../observe/event-stream.js';

function isDeepFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen);
}

describe('frozenJsonCopy', () => {
  it('gives what a JSON round trip gives, deep-frozen, and shares nothing with its input', () => {
    const input = {
      a: 1, b: 'x', c: true, d: null, e: undefined, f: () => 1, g: Number.NaN, h: Infinity,
      list: [1, undefined, () => 2, Number.NEGATIVE_INFINITY, { deep: [{ x: undefined, y: 2 }] }],
      when: new Date(Date.UTC(2026, 11, 7)),
      custom: { toJSON: () => ({ shown: 1 }) },
      nested: { record: { turns: [{ id: 1, spans: { llm: 120 } }] } },
    };
    const copy = frozenJsonCopy(input);
    expect(copy).toEqual(JSON.parse(JSON.stringify(input)));
    expect(isDeepFrozen(copy)).toBe(true);
    (input.nested.record.turns[0]!.spans as { llm: number }).llm = 999;
    expect((copy as typeof input).nested.record.turns[0]!.spans.llm).toBe(120);
  });

  it('copies every recorded call event exactly as JSON would', () => {
    for (const file of recordedStreams()) {
      for (const event of readEventStream(file)) {
        expect(frozenJsonCopy(event)).toEqual(JSON.parse(JSON.stringify(event)));
      }
    }
  });

  it('copyJsonInto keeps the target open and what it already holds', () => {
    const target = copyJsonInto({ v: 2, seq: 3 } as Record<string, unknown>, { type: 'state', states: ['a', 'b'], gone: undefined });
    expect(target).toEqual({ v: 2, seq: 3, type: 'state', states: ['a', 'b'] });
    expect('gone' in target).toBe(false);
    expect(Object.isFrozen(target)).toBe(false);
    expect(Object.isFrozen(target.states)).toBe(true);
  });
});
