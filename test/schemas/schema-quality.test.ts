// The schemas are the user's documentation (docs/*.md is generated from them, editors show the descriptions
// on hover), so they are held to house rules: every field described, defaults stated in words, unknown keys
// rejected, and every duration an integer number of milliseconds with a documented range.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../runtime/util/package-root.js';

// ajv-formats ships CommonJS with `export default`; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

type Node = Record<string, unknown>;

const root = packageRoot();
const schemaFiles = readdirSync(join(root, 'schemas'))
  .filter((f) => f.endsWith('.schema.json'))
  .sort();

/** One schema node reached by the walk, with where it is and how it was reached. */
interface Visit {
  readonly node: Node;
  /** JSON pointer of the node inside the schema file. */
  readonly pointer: string;
  /** Property name when the node is the schema of a named property. */
  readonly property?: string;
  /** Reached through oneOf/anyOf/allOf/if/then/else/not: it narrows its parent instead of standing alone. */
  readonly inApplicator: boolean;
}

const APPLICATORS = ['oneOf', 'anyOf', 'allOf'];
const SINGLE_APPLICATORS = ['if', 'then', 'else', 'not'];
const SUBSCHEMAS = ['items', 'additionalProperties', 'propertyNames', 'contains', 'unevaluatedProperties', 'unevaluatedItems'];

function isNode(value: unknown): value is Node {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every subschema: properties, $defs entries, items, map values, applicator branches, recursively. */
function walk(schema: Node): Visit[] {
  const out: Visit[] = [];
  const visit = (node: Node, pointer: string, inApplicator: boolean, property?: string): void => {
    out.push(property === undefined ? { node, pointer, inApplicator } : { node, pointer, inApplicator, property });
    for (const key of ['properties', 'patternProperties', '$defs']) {
      const children = node[key];
      if (!isNode(children)) continue;
      for (const [name, child] of Object.entries(children)) {
        if (!isNode(child)) continue;
        // $defs entries are named fields too as far as documentation goes: their description shows on hover.
        visit(child, `${pointer}/${key}/${name}`, key === 'properties' && inApplicator, key === 'patternProperties' ? undefined : name);
      }
    }
    for (const key of SUBSCHEMAS) {
      const child = node[key];
      if (isNode(child)) visit(child, `${pointer}/${key}`, inApplicator);
    }
    const prefixItems = node.prefixItems;
    if (Array.isArray(prefixItems)) prefixItems.forEach((c, i) => isNode(c) && visit(c, `${pointer}/prefixItems/${i}`, inApplicator));
    for (const key of APPLICATORS) {
      const branches = node[key];
      if (Array.isArray(branches)) branches.forEach((c, i) => isNode(c) && visit(c, `${pointer}/${key}/${i}`, true));
    }
    for (const key of SINGLE_APPLICATORS) {
      const child = node[key];
      if (isNode(child)) visit(child, `${pointer}/${key}`, true);
    }
  };
  visit(schema, '', false);
  return out;
}

/** Follows local `#/$defs/...` references so a `fooMs: { $ref }` is checked by what it points to. */
function resolve(schema: Node, node: Node): Node {
  let current = node;
  for (let hops = 0; typeof current.$ref === 'string' && current.$ref.startsWith('#/$defs/') && hops < 32; hops++) {
    const defs = schema.$defs;
    const target = isNode(defs) ? defs[current.$ref.slice('#/$defs/'.length)] : undefined;
    if (!isNode(target)) break;
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

const description = (node: Node) => (typeof node.description === 'string' ? node.description.trim() : '');
const typesOf = (node: Node): string[] => (typeof node.type === 'string' ? [node.type] : Array.isArray(node.type) ? node.type.map(String) : []);

describe.each(schemaFiles)('schemas/%s', (file) => {
  const schema = JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8')) as Node;
  const visits = walk(schema);
  const properties = visits.filter((v) => v.property !== undefined);

  it('compiles with Ajv2020 in strict mode', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    let problem = '';
    try {
      ajv.compile(schema);
    } catch (error) {
      problem = (error as Error).message;
    }
    expect(problem, 'the schema must compile as the runtime compiles it (runtime/dsl/schema-check.ts)').toBe('');
  });

  it('describes every property and every $defs entry', () => {
    const missing = properties.filter((v) => description(v.node) === '').map((v) => v.pointer);
    expect(missing, 'add a `description` (what it is, the unit, the range, `Default: ...`)').toEqual([]);
  });

  it('states the default in words wherever a property has a `default`', () => {
    const silent = visits.filter((v) => 'default' in v.node && !description(v.node).includes('Default:')).map((v) => v.pointer);
    expect(silent, 'say `Default: ...` in the description of a field that has a `default`').toEqual([]);
  });

  it('rejects unknown keys in every object schema with `properties`', () => {
    // Branches of oneOf/anyOf that only restate a parent's properties to require one of them are exempt:
    // closing them would reject the parent's other fields.
    const open = visits
      .filter((v) => isNode(v.node.properties) && !v.inApplicator && v.node.additionalProperties !== false)
      .map((v) => v.pointer);
    expect(open, 'add `"additionalProperties": false`').toEqual([]);
  });

  it('makes every numeric *Ms property an integer with a minimum and a maximum', () => {
    const loose = properties
      .filter((v) => v.property?.endsWith('Ms'))
      .map((v) => ({ ...v, node: resolve(schema, v.node) }))
      .filter((v) => typesOf(v.node).some((t) => t === 'number' || t === 'integer'))
      .filter((v) => !(typesOf(v.node).join() === 'integer' && typeof v.node.minimum === 'number' && typeof v.node.maximum === 'number'))
      .map((v) => v.pointer);
    expect(loose, 'durations are whole milliseconds with a documented range: `"type": "integer", "minimum", "maximum"`').toEqual([]);
  });

  it('says "ms" or "milliseconds" in the description of every *Ms property', () => {
    const unitless = properties
      .filter((v) => v.property?.endsWith('Ms') && !v.inApplicator)
      .filter((v) => !/\bms\b|millisecond/i.test(description(v.node)))
      .map((v) => v.pointer);
    expect(unitless, 'name the unit in the description, e.g. "in milliseconds (0-1000)"').toEqual([]);
  });
});

describe('the quality checks themselves', () => {
  it('find a property without a description, an open object and a float duration', () => {
    const bad: Node = {
      type: 'object',
      properties: { waitMs: { type: 'number', description: 'Wait.' }, nested: { type: 'object', properties: { x: { type: 'string' } } } },
    };
    const visits = walk(bad);
    expect(visits.filter((v) => v.property !== undefined && description(v.node) === '').map((v) => v.pointer)).toEqual([
      '/properties/nested',
      '/properties/nested/properties/x',
    ]);
    expect(visits.filter((v) => isNode(v.node.properties) && v.node.additionalProperties !== false).map((v) => v.pointer)).toEqual([
      '',
      '/properties/nested',
    ]);
  });
});
