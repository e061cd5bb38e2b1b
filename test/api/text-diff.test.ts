/*
 * The YAML diff `voiceagent deploy` prints must read like `diff -u`: a reviewer sees exactly which lines the
 * deploy changes against what is live, with a little context, and nothing when the file is unchanged.
 */
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../runtime/api/text-diff.js';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('');
  });

  it('shows a changed value with three lines of context and diff -u hunk numbers', () => {
    const before = lines(10);
    const after = [...before];
    after[5] = 'line 6 changed';
    expect(unifiedDiff(before.join('\n') + '\n', after.join('\n') + '\n', { fromLabel: 'live', toLabel: 'file' })).toBe(
      ['--- live', '+++ file', '@@ -3,7 +3,7 @@', ' line 3', ' line 4', ' line 5', '-line 6', '+line 6 changed', ' line 7', ' line 8', ' line 9', ''].join('\n'),
    );
  });

  it('splits far-apart changes into two hunks and joins near ones', () => {
    const before = lines(30);
    const far = [...before];
    far[2] = 'x';
    far[25] = 'y';
    expect(unifiedDiff(before.join('\n'), far.join('\n')).match(/^@@/gm)).toHaveLength(2);
    const near = [...before];
    near[2] = 'x';
    near[7] = 'y';
    expect(unifiedDiff(before.join('\n'), near.join('\n')).match(/^@@/gm)).toHaveLength(1);
  });

  it('shows a first deploy as every line added, from line 0', () => {
    const diff = unifiedDiff('', 'name: a\nx: 1\n');
    expect(diff).toContain('@@ -0,0 +1,2 @@\n+name: a\n+x: 1\n');
  });

  it('keeps an inserted line an insertion, not a rewrite of what follows', () => {
    const before = lines(8);
    const after = [...before.slice(0, 4), 'inserted', ...before.slice(4)];
    const diff = unifiedDiff(before.join('\n'), after.join('\n'));
    expect(diff.split('\n').filter((l) => /^[-+][^-+]/.test(l))).toEqual(['+inserted']);
    expect(diff).toContain('@@ -2,6 +2,7 @@');
  });
});
