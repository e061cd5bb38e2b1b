/*
 * The waterfall's p50/p95 use nearest-rank percentiles: the smallest sample with at least p% of the samples
 * at or below it, always one of the samples (never an interpolated value a turn never had).
 */
import { describe, expect, it } from 'vitest';
import { percentile, percentileOfSorted } from '../../runtime/observe/index.js';

describe('nearest-rank percentile', () => {
  it('picks a sample, rank ceil(p/100 * n)', () => {
    const samples = [40, 15, 50, 35, 20];
    expect(percentile(samples, 5)).toBe(15);
    expect(percentile(samples, 30)).toBe(20);
    expect(percentile(samples, 40)).toBe(20);
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 95)).toBe(50);
    expect(percentile(samples, 100)).toBe(50);
  });

  it('has no value without samples and leaves its input alone', () => {
    expect(percentile([], 50)).toBeUndefined();
    const samples = Object.freeze([3, 1, 2]);
    expect(percentile(samples, 50)).toBe(2);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('reads a sorted list directly', () => {
    expect(percentileOfSorted([750, 902, 1300], 50)).toBe(902);
    expect(percentileOfSorted([750, 902, 1300], 95)).toBe(1300);
    expect(percentileOfSorted([7], 0)).toBe(7);
  });
});
