/*
 * The child process of crash.test.ts: deploys new versions of one agent into a file registry in a loop, as fast
 * as it can, until it is killed. Before each activation it prints `plan <id>`, after it `done <id>` (stdout to a
 * pipe is synchronous on Linux, so a line printed is a line the parent gets, even after a kill -9).
 *
 * argv: <data dir> <file with a PushInput JSON> <first revision number>
 */
import { readFileSync } from 'node:fs';
import { createFileRegistry } from '../../runtime/registry/file-registry.js';
import type { PushInput } from '../../runtime/registry/types.js';

const [dir, inputFile, first] = process.argv.slice(2) as [string, string, string];
const base = JSON.parse(readFileSync(inputFile, 'utf8')) as PushInput;
const registry = createFileRegistry({ dir });
process.stdout.write('ready\n');
for (let n = Number(first); ; n++) {
  // A new revision: another comment in the YAML, so another sourceHash and version id.
  const source = `${base.source}\n# crash revision ${n}\n`;
  const compiled = { ...base.compiled, agent: { ...base.compiled.agent, sourceHash: `crash-${process.pid}-${n}` } };
  const version = await registry.push({ ...base, source, compiled });
  const active = await registry.active(base.agent, 'production');
  process.stdout.write(`plan ${version.id}\n`);
  await registry.activate(base.agent, 'production', version.id, { expected: active ?? null, reason: 'deploy' });
  process.stdout.write(`done ${version.id}\n`);
}
