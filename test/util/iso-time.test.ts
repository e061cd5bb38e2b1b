import { describe, expect, it } from 'vitest';
import { createIsoFormatter } from '../../runtime/util/iso-time.js';

describe('createIsoFormatter', () => {
  it('formats exactly as Date#toISOString, across minutes, hours, days and fractional milliseconds', () => {
    const iso = createIsoFormatter();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const times = [0, 59_999, 60_000, 1_796_601_599_999.7, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1)];
    for (let i = 0; i < 2000; i++) times.push(Date.UTC(2026, 11, 7) + random() * 3 * 86_400_000);
    // In order (as a call stamps them) and shuffled (the cache must not assume order).
    for (const t of [...times.sort((a, b) => a - b), ...times.reverse()]) expect(iso(t)).toBe(new Date(t).toISOString());
  });
});
