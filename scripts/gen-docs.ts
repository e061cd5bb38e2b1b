/**
 * `npm run docs`: writes the YAML reference pages in docs/ from the JSON Schemas in schemas/.
 * `npm run docs -- --check`: writes nothing; exits 1 when a page is missing or out of date (for CI).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findStaleDocs, generateDocs } from '../runtime/docs/generate-docs.js';
import { packageRoot } from '../runtime/util/package-root.js';

const root = packageRoot();
const check = process.argv.slice(2).includes('--check');

if (check) {
  const stale = findStaleDocs(root);
  if (stale.length > 0) {
    for (const { output, reason } of stale) {
      const what = reason === 'missing' ? 'is missing' : reason === 'outdated' ? 'is out of date' : 'is generated from a schema that no longer exists';
      process.stderr.write(`gen-docs: ${output} ${what}\n`);
    }
    process.stderr.write('gen-docs: run `npm run docs` and commit the result.\n');
    process.exitCode = 1;
  } else {
    process.stdout.write('gen-docs: docs are up to date.\n');
  }
} else {
  for (const { output } of findStaleDocs(root).filter((s) => s.reason === 'orphaned')) {
    rmSync(join(root, output));
    process.stdout.write(`gen-docs: removed ${output} (its schema is gone)\n`);
  }
  for (const doc of generateDocs(root)) {
    mkdirSync(dirname(join(root, doc.output)), { recursive: true });
    writeFileSync(join(root, doc.output), doc.content);
    process.stdout.write(`gen-docs: wrote ${doc.output}\n`);
  }
}
