import { describe, expect, it } from 'vitest';
import type { CallEventBody } from '../../runtime/call/events.js';
import type { CallView } from '../../runtime/observe/index.js';
import { callView, foldEvents, initialCallView } from '../../runtime/observe/index.js';
import { deepFreeze, started, stream } from './events.js';

function views(events: ReturnType<typeof stream>): CallView[] {
  const out: CallView[] = [];
  let view = deepFreeze(initialCallView());
  for (const event of events) out.push((view = deepFreeze(callView(view, event))));
  return out;
}

describe('meters and logs', () => {
  /*
   * A long stretch of audio levels, a caller pressing keys, and a provider retrying: the level ring keeps
   * the latest samples only, keys join into digits, and measurements are summed per provider and kind.
   */
  it('keeps a bounded ring of levels, the digits and the provider summaries', () => {
    const bodies: CallEventBody[] = [started()];
    for (let i = 0; i < 150; i++) bodies.push({ type: 'levels', atMs: i * 20, inDb: -60 + (i % 10), outDb: -20 });
    bodies.push({ type: 'dtmf', atMs: 3000, digit: '1' }, { type: 'dtmf', atMs: 3100, digit: '#' });
    bodies.push({ type: 'provider.metric', atMs: 3200, provider: 'openai', kind: 'ttft', value: 320 });
    bodies.push({ type: 'provider.metric', atMs: 3300, provider: 'openai', kind: 'ttft', value: 280 });
    bodies.push({ type: 'provider.metric', atMs: 3400, provider: 'elevenlabs', kind: 'retry', value: 1 });
    const all = views(stream(bodies));
    const view = all.at(-1)!;
    expect(view.levels.recent).toHaveLength(100);
    expect(view.levels.recent[0]!.atMs).toBe(50 * 20);
    expect(view.levels).toMatchObject({ inDb: -60 + 9, outDb: -20, atMs: 149 * 20, capacity: 100 });
    expect(all[10]!.levels.recent).toHaveLength(10);
    expect(view.dtmf).toEqual({ digits: '1#', lastAtMs: 3100 });
    expect(view.providerMetrics['openai:ttft']).toEqual({ provider: 'openai', kind: 'ttft', count: 2, last: 280, sum: 600, lastAtMs: 3300 });
    expect(view.providerMetrics['elevenlabs:retry']).toMatchObject({ count: 1, last: 1 });
  });

  it('takes the ring size from the options', () => {
    const view = foldEvents(stream([{ type: 'levels', atMs: 0, inDb: -40, outDb: -100 }, { type: 'levels', atMs: 20, inDb: -41, outDb: -100 }]), { levelHistory: 1 });
    expect(view.levels.recent).toEqual([{ atMs: 20, inDb: -41, outDb: -100 }]);
  });
});
