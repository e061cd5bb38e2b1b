// The YAML reference pages in docs/ are generated from schemas/. A schema edit without `npm run docs`
// leaves the published reference lying to users, so the test regenerates every page in memory and compares.
import { describe, expect, it } from 'vitest';
import { findStaleDocs, generateDocs } from '../../runtime/docs/generate-docs.js';
import { GENERATED_MARKER, renderSchemaMarkdown, type JsonSchema } from '../../runtime/docs/schema-docs.js';
import { packageRoot } from '../../runtime/util/package-root.js';

const root = packageRoot();

describe('generated docs', () => {
  it('docs/*.md match the schemas (run npm run docs after changing a schema)', () => {
    const stale = findStaleDocs(root);
    const message = `stale generated docs: ${stale.map((s) => `${s.output} (${s.reason})`).join(', ')}. Run \`npm run docs\` and commit the result.`;
    expect(stale, message).toEqual([]);
  });

  it('marks every page as generated', () => {
    for (const doc of generateDocs(root)) expect(doc.content.startsWith(GENERATED_MARKER)).toBe(true);
  });

  it('documents every field of the agent schema, with its default and range', () => {
    const page = generateDocs(root).find((d) => d.output === 'docs/agent-yaml.md');
    expect(page).toBeDefined();
    const text = page?.content ?? '';
    expect(text).toContain('#### `bargeIn.confirm`');
    expect(text).toMatch(/\| `minSpeechMs` \| integer \| `250` \| 0 to 5000 \|/);
    expect(text).toContain('| `greeting` | text or map of language -> text |');
    expect(text).toContain('`models.<name>`');
    expect(text).toContain('`routing[]`');
    expect(text).toContain('`dualplex`, `cascade`, `speech-to-speech`');
  });
});

describe('renderSchemaMarkdown', () => {
  const schema: JsonSchema = {
    description: 'Root.',
    type: 'object',
    additionalProperties: false,
    required: ['mode'],
    properties: {
      mode: { description: 'The mode.', enum: ['a', 'b'] },
      waitMs: { description: 'Wait, in milliseconds. Default: 5 ms.', type: 'integer', minimum: 0, maximum: 10, default: 5 },
      rules: { description: 'Rules.', type: 'array', items: { $ref: '#/$defs/rule' } },
      byLang: { description: 'Per language.', type: 'object', propertyNames: { $ref: '#/$defs/languageCode' }, additionalProperties: { type: 'string' } },
      other: { description: 'Another rule.', $ref: '#/$defs/rule' },
    },
    $defs: {
      languageCode: { description: 'A language code.', type: 'string', pattern: '^[a-z]{2}$' },
      rule: { description: 'A rule.', type: 'object', additionalProperties: false, properties: { on: { description: 'On.', type: 'boolean' } } },
    },
  };
  const md = renderSchemaMarkdown(schema, { title: 'T', intro: 'Intro.' });

  it('renders a table per object, shared definitions once, and value formats', () => {
    expect(md).toContain('# T\n\nIntro.');
    expect(md).toContain('| `mode` **required** | enum |  | `a`, `b` | The mode. |');
    expect(md).toContain('| `waitMs` | integer | `5` | 0 to 10 |');
    expect(md).toContain('| `rules` | list of [rules](#rule) |');
    expect(md).toContain('| `byLang` | map of language -> text |');
    expect(md).toContain('## `rule` (shared)');
    expect(md).toContain('Used by `rules[]`, `other`.');
    expect(md).toContain('<a id="format-languagecode"></a>');
  });

  it('is deterministic', () => {
    expect(renderSchemaMarkdown(schema, { title: 'T', intro: 'Intro.' })).toBe(md);
  });
});
