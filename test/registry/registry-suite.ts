/*
 * One suite for every registry implementation (files in `npm test`, Redis in the e2e run): whatever the store,
 * a push is idempotent, versions list newest first, an activation is a compare-and-set that exactly one of two
 * racing deploys wins, a rollback appends to the history, and another process sees an activation within 1 s.
 */
import { describe, expect, it } from 'vitest';
import { DriftError, RegistryError, UnknownVersionError } from '../../runtime/registry/errors.js';
import type { Activation, Registry } from '../../runtime/registry/types.js';
import { versionIdOf } from '../../runtime/registry/version-id.js';
import { receptionistRevision } from './agent-versions.js';

/** A fresh, empty store; `open` gives another handle on the same store (standing in for another process). */
export interface RegistryFixture {
  open(options?: { now?: () => Date }): Registry;
}

/** A clock that moves one second per call, so creation order is unambiguous. */
function ticking(): () => Date {
  let t = Date.parse('2026-12-01T09:00:00Z');
  return () => new Date((t += 1000));
}

/** Registers the shared suite; `fresh` gives an empty store per test. */
export function registrySuite(name: string, fresh: () => Promise<RegistryFixture>): void {
  const v1 = receptionistRevision(1);
  const v2 = receptionistRevision(2);
  const v3 = receptionistRevision(3);

  describe(`${name} registry`, () => {
    it('pushing the same agent twice stores one version with one id', async () => {
      // A deploy retried after a timeout pushes again: nothing new is made, the first push's version comes back.
      const registry = (await fresh()).open({ now: ticking() });
      try {
        const first = await registry.push(v1);
        const again = await registry.push(v1);
        expect(first.id).toBe(versionIdOf(v1.compiled));
        expect(first.id).toMatch(/^v[0-9a-f]{12}$/);
        expect(again).toEqual(first);
        expect((await registry.versions('receptionist')).map((v) => v.id)).toEqual([first.id]);
        const stored = await registry.version('receptionist', first.id);
        expect(stored?.source).toBe(v1.source);
        expect(stored?.compiled).toEqual(JSON.parse(JSON.stringify(v1.compiled)));
        expect(stored?.file).toBe('agents/receptionist.yaml');
        expect(await registry.version('receptionist', 'v000000000000')).toBeUndefined();
        expect(await registry.version('../etc', first.id)).toBeUndefined();
      } finally {
        await registry.close();
      }
    });

    it('versions list newest first, with the active one marked per environment', async () => {
      const registry = (await fresh()).open({ now: ticking() });
      try {
        const a = await registry.push({ ...v1, git: { commit: 'a'.repeat(40), author: 'Ada', message: 'first', dirty: false } });
        const b = await registry.push(v2);
        await registry.activate('receptionist', 'production', a.id, { expected: null, reason: 'deploy' });
        const listed = await registry.versions('receptionist', 'production');
        expect(listed.map((v) => [v.id, v.active])).toEqual([
          [b.id, false],
          [a.id, true],
        ]);
        expect(listed[1]!.git).toEqual({ commit: 'a'.repeat(40), author: 'Ada', message: 'first', dirty: false });
        expect(await registry.agents('production')).toEqual([{ name: 'receptionist', active: a.id }]);
        expect(await registry.agents('staging')).toEqual([{ name: 'receptionist' }]);
        expect(await registry.versions('nobody')).toEqual([]);
      } finally {
        await registry.close();
      }
    });

    it('an activation compares the active version: a stale expectation is drift, an unknown version is refused', async () => {
      const registry = (await fresh()).open({ now: ticking() });
      try {
        const a = await registry.push(v1);
        const b = await registry.push(v2);
        const first = await registry.activate('receptionist', 'production', a.id, { expected: null, reason: 'deploy', by: 'ada' });
        expect(first).toMatchObject({ seq: 1, agent: 'receptionist', env: 'production', version: a.id, reason: 'deploy', by: 'ada' });
        expect(first.previous).toBeUndefined();
        const drift = await registry.activate('receptionist', 'production', b.id, { expected: null, reason: 'deploy' }).catch((e: unknown) => e);
        expect(drift).toBeInstanceOf(DriftError);
        expect((drift as DriftError).active).toBe(a.id);
        expect((drift as DriftError).code).toBe('drift');
        const unknown = await registry.activate('receptionist', 'production', 'v0123456789ab', { expected: a.id, reason: 'deploy' }).catch((e: unknown) => e);
        expect(unknown).toBeInstanceOf(UnknownVersionError);
        const bad = await registry.activate('receptionist', '../x', b.id, { expected: a.id, reason: 'deploy' }).catch((e: unknown) => e);
        expect(bad).toBeInstanceOf(RegistryError);
        expect(await registry.active('receptionist', 'production')).toBe(a.id);
        expect(await registry.active('receptionist', 'staging')).toBeUndefined();
      } finally {
        await registry.close();
      }
    });

    it('a rollback is a new activation: the history grows and is never rewritten', async () => {
      const registry = (await fresh()).open({ now: ticking() });
      try {
        const a = await registry.push(v1);
        const b = await registry.push(v2);
        await registry.activate('receptionist', 'production', a.id, { expected: null, reason: 'deploy' });
        await registry.activate('receptionist', 'production', b.id, { expected: a.id, reason: 'deploy' });
        const back = await registry.activate('receptionist', 'production', a.id, { expected: b.id, reason: 'rollback', by: 'oncall' });
        expect(back).toMatchObject({ seq: 3, version: a.id, previous: b.id, reason: 'rollback', by: 'oncall' });
        const history = await registry.history('receptionist', 'production');
        expect(history.map((h) => [h.seq, h.version, h.previous, h.reason])).toEqual([
          [1, a.id, undefined, 'deploy'],
          [2, b.id, a.id, 'deploy'],
          [3, a.id, b.id, 'rollback'],
        ]);
        expect(await registry.active('receptionist', 'production')).toBe(a.id);
        expect(await registry.history('receptionist', 'staging')).toEqual([]);
      } finally {
        await registry.close();
      }
    });

    it('two deploys of the same agent racing from two processes: exactly one wins, the other gets drift', async () => {
      // Two engineers deploy at once, both planned against v1. Ten rounds, each from fresh handles.
      const fixture = await fresh();
      const setup = fixture.open();
      const a = await setup.push(v1);
      const b = await setup.push(v2);
      const c = await setup.push(v3);
      await setup.activate('receptionist', 'production', a.id, { expected: null, reason: 'deploy' });
      let expected = a.id;
      try {
        for (let round = 0; round < 10; round++) {
          const left = fixture.open();
          const right = fixture.open();
          const [l, r] = round % 2 === 0 ? [b.id, c.id] : [c.id, b.id];
          const targets = [l === expected ? a.id : l, r === expected ? a.id : r];
          const outcomes = await Promise.allSettled([
            left.activate('receptionist', 'production', targets[0]!, { expected, reason: 'deploy' }),
            right.activate('receptionist', 'production', targets[1]!, { expected, reason: 'deploy' }),
          ]);
          await Promise.all([left.close(), right.close()]);
          const won = outcomes.filter((o): o is PromiseFulfilledResult<Activation> => o.status === 'fulfilled');
          const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]!.reason).toBeInstanceOf(DriftError);
          expect((lost[0]!.reason as DriftError).active).toBe(won[0]!.value.version);
          expect(await setup.active('receptionist', 'production')).toBe(won[0]!.value.version);
          expected = won[0]!.value.version;
        }
        const history = await setup.history('receptionist', 'production');
        expect(history.map((h) => h.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
        for (let i = 1; i < history.length; i++) expect(history[i]!.previous).toBe(history[i - 1]!.version);
      } finally {
        await setup.close();
      }
    });

    it('another process watching sees an activation within a second', async () => {
      const fixture = await fresh();
      const server = fixture.open();
      const deployer = fixture.open();
      try {
        const seen: Activation[] = [];
        server.watch((activation) => seen.push(activation));
        // Let the watcher settle (first scan / subscription) before the deploy.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const a = await deployer.push(v1);
        const startedAt = Date.now();
        await deployer.activate('receptionist', 'staging', a.id, { expected: null, reason: 'deploy' });
        while (seen.length === 0 && Date.now() - startedAt < 1000) await new Promise((resolve) => setTimeout(resolve, 10));
        expect(seen.map((s) => [s.agent, s.env, s.version, s.seq])).toEqual([['receptionist', 'staging', a.id, 1]]);
        expect(Date.now() - startedAt).toBeLessThan(1000);
      } finally {
        await Promise.all([server.close(), deployer.close()]);
      }
    });
  });
}
