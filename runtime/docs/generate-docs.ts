import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_MARKER, renderSchemaMarkdown, type JsonSchema } from './schema-docs.js';

/** One generated reference page. */
export interface DocTarget {
  /** Schema file, relative to the package root. */
  readonly schema: string;
  /** Markdown file written from it, relative to the package root. */
  readonly output: string;
  readonly title: string;
  readonly intro: string;
}

/** A page as it should be on disk. */
export interface GeneratedDoc {
  readonly output: string;
  readonly content: string;
}

/** A generated page whose file on disk differs from what the schema produces now. */
export interface StaleDoc {
  readonly output: string;
  readonly reason: 'missing' | 'outdated' | 'orphaned';
}

const EDITOR_HINT = (schema: string) =>
  `For completion and inline errors in editors that use yaml-language-server (VS Code's YAML extension and others), start the file with \`# yaml-language-server: $schema=<path to>/${schema}\`.`;

/** Every reference page `npm run docs` can write; a page is generated only while its schema exists. */
export const DOC_TARGETS: readonly DocTarget[] = [
  {
    schema: 'schemas/agent.schema.json',
    output: 'docs/agent-yaml.md',
    title: 'Agent YAML reference',
    intro: [
      'Every field of an agent file (`agents/*.yaml`), generated from [`schemas/agent.schema.json`](../schemas/agent.schema.json). Unknown keys are errors; fields not given take the default shown. Check a file with `voiceagent validate <file>`.',
      '',
      EDITOR_HINT('schemas/agent.schema.json'),
    ].join('\n'),
  },
  {
    schema: 'schemas/project.schema.json',
    output: 'docs/project-yaml.md',
    title: 'Project YAML reference (`voiceagent.yaml`)',
    intro: [
      'Every field of a project file (`voiceagent.yaml`), generated from [`schemas/project.schema.json`](../schemas/project.schema.json).',
      '',
      EDITOR_HINT('schemas/project.schema.json'),
    ].join('\n'),
  },
  {
    schema: 'schemas/scenario.schema.json',
    output: 'docs/scenario-yaml.md',
    title: 'Scenario YAML reference',
    intro: [
      'Every field of a test scenario file (simulated calls run by `voiceagent test`), generated from [`schemas/scenario.schema.json`](../schemas/scenario.schema.json).',
      '',
      EDITOR_HINT('schemas/scenario.schema.json'),
    ].join('\n'),
  },
];

/** Renders the pages whose schemas exist under `root`, in memory. */
export function generateDocs(root: string, targets: readonly DocTarget[] = DOC_TARGETS): GeneratedDoc[] {
  return targets
    .filter((t) => existsSync(join(root, t.schema)))
    .map((t) => {
      const schema = JSON.parse(readFileSync(join(root, t.schema), 'utf8')) as JsonSchema;
      return { output: t.output, content: renderSchemaMarkdown(schema, { title: t.title, intro: t.intro, generatedFrom: t.schema }) };
    });
}

/**
 * Compares the pages on disk with freshly generated ones. Also reports generated pages (recognised by their
 * marker line) in `docs/` that no schema produces any more.
 */
export function findStaleDocs(root: string, targets: readonly DocTarget[] = DOC_TARGETS): StaleDoc[] {
  const fresh = generateDocs(root, targets);
  const stale: StaleDoc[] = [];
  for (const doc of fresh) {
    const file = join(root, doc.output);
    if (!existsSync(file)) stale.push({ output: doc.output, reason: 'missing' });
    else if (readFileSync(file, 'utf8') !== doc.content) stale.push({ output: doc.output, reason: 'outdated' });
  }
  const docsDir = join(root, 'docs');
  const expected = new Set(fresh.map((d) => d.output));
  if (existsSync(docsDir)) {
    for (const name of readdirSync(docsDir).sort()) {
      const output = `docs/${name}`;
      if (!name.endsWith('.md') || expected.has(output)) continue;
      if (readFileSync(join(docsDir, name), 'utf8').startsWith(GENERATED_MARKER)) stale.push({ output, reason: 'orphaned' });
    }
  }
  return stale;
}
