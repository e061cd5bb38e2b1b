import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { didYouMean } from '../util/did-you-mean.js';
import { readPackageJson } from '../util/package-root.js';
import type { Diagnostic, DiagnosticCode } from './diagnostics.js';
import { misspelledEnvReference } from './env-reference.js';
import { dottedPath, type DocPath, type YamlSource } from './yaml-source.js';

export { dottedPath };

// ajv-formats ships CommonJS with `export default`; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

/** The schemas shipped in `schemas/`. */
export type SchemaName = 'agent' | 'project' | 'scenario';

const validators = new Map<SchemaName, ValidateFunction>();

/**
 * A compiled validator for one of our schemas. `useDefaults` fills in schema defaults while validating, so a
 * single pass both checks the data and completes it; compiled once per process.
 */
export function schemaValidator(name: SchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, verbose: true, useDefaults: true, strict: true, allowUnionTypes: true });
    addFormats(ajv);
    validate = ajv.compile(readPackageJson<object>(`schemas/${name}.schema.json`));
    validators.set(name, validate);
  }
  return validate;
}

/**
 * Validates `data` in place (defaults are filled in) and turns ajv's errors into positioned diagnostics,
 * one per problem, with the noise ajv produces for unions removed.
 */
export function checkAgainstSchema(name: SchemaName, data: unknown, source: YamlSource): Diagnostic[] {
  const validate = schemaValidator(name);
  if (validate(data)) return [];
  const choices = explainChoices(validate.errors ?? [], source);
  const errors = pruneUnionNoise(choices.errors);
  const seen = new Set<string>();
  const out: Diagnostic[] = [...choices.diagnostics];
  for (const error of errors) {
    // ajv reports a bad map key twice: the inner failure (carrying `propertyName`) and a bare `propertyNames`.
    if (error.keyword === 'propertyNames') continue;
    const diagnostic = error.propertyName === undefined ? toDiagnostic(error, source) : keyNameDiagnostic(error, source);
    if (!diagnostic) continue;
    const key = `${diagnostic.line}:${diagnostic.column}:${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(diagnostic);
  }
  return out;
}

/** `/bargeIn/confirm/minSpeechMs` -> `['bargeIn', 'confirm', 'minSpeechMs']`, numbers for array indices. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * The keys of a `oneOf` whose every branch only requires one key: "exactly one of these keys", as in a scenario
 * step (`say`, `noise`, `pauseMs` or `hangup`). Undefined for any other union.
 */
function exactlyOneOfKeys(error: ErrorObject): string[] | undefined {
  if (error.keyword !== 'oneOf' || !Array.isArray(error.schema)) return undefined;
  const keys = (error.schema as { required?: unknown }[]).map((branch) => (Array.isArray(branch.required) && branch.required.length === 1 ? branch.required[0] : undefined));
  return keys.every((key): key is string => typeof key === 'string') ? keys : undefined;
}

/**
 * ajv reports an "exactly one of these keys" union as its branches' `required` errors: four "missing `say`,
 * `noise`..." for a step with none, and a misleading "missing `noise`" for a step with both `say` and `pauseMs`.
 * Replace them with one diagnostic that says the rule, at the second action when there are several. A step whose
 * only key is a typo (`sya:`) gets nothing here: its unknown-key diagnostic with "did you mean `say`?" says it.
 */
function explainChoices(errors: readonly ErrorObject[], source: YamlSource): { errors: ErrorObject[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const explained = new Set<string>();
  for (const error of errors) {
    const keys = exactlyOneOfKeys(error);
    const value = error.data;
    if (!keys || value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    explained.add(error.schemaPath);
    const path = pointerToPath(error.instancePath);
    const field = dottedPath(path) || 'the file';
    const rule = `exactly one of ${keys.join(', ')}`;
    // In the file's order, so the diagnostic points at the action written second.
    const present = Object.keys(value).filter((key) => keys.includes(key));
    const base = { file: source.file, severity: 'error' as const, path: dottedPath(path) };
    if (present.length >= 2) {
      const quoted = present.map((key) => `\`${key}\``);
      const listed = `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
      diagnostics.push({ ...base, ...source.keyAt([...path, present[1]!]), code: 'conflict', message: `\`${field}\` has ${present.length} actions, ${listed}; a step takes ${rule}`, hint: 'split it into one step per action, in the order they should happen' });
    } else if (present.length === 0 && !errors.some((e) => e.keyword === 'additionalProperties' && e.instancePath === error.instancePath)) {
      diagnostics.push({ ...base, ...source.keyAt(path), code: 'required', message: `\`${field}\` has no action; a step takes ${rule}`, hint: `add one, e.g. \`${keys[0]}: ...\`` });
    }
  }
  if (explained.size === 0) return { errors: [...errors], diagnostics };
  const isExplained = (e: ErrorObject) => [...explained].some((p) => e.schemaPath === p || e.schemaPath.startsWith(`${p}/`));
  return { errors: errors.filter((e) => !isExplained(e)), diagnostics };
}

/**
 * For `anyOf` (a text or a per-language map), ajv reports every branch's failure plus the `anyOf` itself.
 * Keep the branch errors of the branch whose type matches the value; if none does, keep only the `anyOf`.
 */
function pruneUnionNoise(errors: ErrorObject[]): ErrorObject[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  if (unions.length === 0) return errors;
  const drop = new Set<ErrorObject>();
  for (const union of unions) {
    const prefix = `${union.schemaPath}/`;
    const branches = errors.filter((e) => e.schemaPath.startsWith(prefix));
    const typeMismatch = branches.filter((e) => e.keyword === 'type' && e.instancePath === union.instancePath);
    const matchingBranchErrors = branches.filter(
      (e) => !typeMismatch.some((t) => e.schemaPath.startsWith(t.schemaPath.replace(/\/type$/, '/'))),
    );
    if (matchingBranchErrors.length > 0) {
      for (const e of branches) if (!matchingBranchErrors.includes(e)) drop.add(e);
      drop.add(union);
    } else {
      for (const e of branches) drop.add(e);
    }
  }
  return errors.filter((e) => !drop.has(e));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 37) + '...' : value)}`;
  return `${typeof value} ${String(value)}`;
}

function quoteItem(value: unknown): string {
  return typeof value === 'string' ? `\`${value}\`` : describe(value);
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
};

function unitOf(path: DocPath): string {
  const last = String(path[path.length - 1] ?? '');
  if (last.endsWith('Ms')) return ' ms';
  if (last.endsWith('Db')) return ' dB';
  return '';
}

function toDiagnostic(error: ErrorObject, source: YamlSource): Diagnostic {
  const path = pointerToPath(error.instancePath);
  const field = dottedPath(path) || 'the file';
  const base = { file: source.file, severity: 'error' as const };
  const at = (p: DocPath, code: DiagnosticCode, message: string, hint?: string): Diagnostic => ({
    ...base,
    ...(code === 'unknown-key' ? source.keyAt(p) : source.valueAt(p)),
    code,
    path: dottedPath(p),
    message,
    ...(hint ? { hint } : {}),
  });
  const params = error.params as Record<string, unknown>;
  const schema = error.parentSchema as { properties?: Record<string, unknown>; description?: string } | undefined;

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(schema?.properties ?? {});
      const guess = didYouMean(key, allowed);
      const where = path.length ? `in \`${field}\`` : 'at the top level';
      return at(
        [...path, key],
        'unknown-key',
        `unknown key \`${key}\` ${where}`,
        guess ? `did you mean \`${guess}\`?` : allowed.length ? `allowed keys: ${allowed.join(', ')}` : undefined,
      );
    }
    case 'required': {
      const missing = String(params.missingProperty);
      const about = (schema?.properties?.[missing] as { description?: string } | undefined)?.description;
      // Point at the key of the incomplete mapping (`fast:`), not at its first child, which is not what is wrong.
      return {
        ...at(path, 'required', `${path.length ? `\`${field}\`` : 'the file'} is missing the required key \`${missing}\``, about ? `add \`${missing}\`: ${about}` : `add \`${missing}\``),
        ...source.keyAt(path),
      };
    }
    case 'type': {
      const expected = String(params.type)
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      return at(path, 'type', `\`${field}\` must be ${expected}, got ${describe(error.data)}`);
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof error.data === 'string' ? didYouMean(error.data, allowed) : undefined;
      return at(
        path,
        'enum',
        `\`${field}\` must be one of ${allowed.join(', ')}; got ${describe(error.data)}`,
        guess ? `did you mean \`${guess}\`?` : undefined,
      );
    }
    case 'const':
      return at(path, 'const', `\`${field}\` must be ${JSON.stringify(params.allowedValue)}, got ${describe(error.data)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const sign = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[error.keyword];
      const unit = unitOf(path);
      return at(path, 'range', `\`${field}\` must be ${sign} ${String(params.limit)}${unit}, got ${String(error.data)}${unit}`, schema?.description);
    }
    case 'minLength':
      return at(path, 'length', `\`${field}\` must not be empty`);
    case 'maxLength':
      return at(path, 'length', `\`${field}\` is longer than ${String(params.limit)} characters`);
    case 'minItems':
      return at(path, 'length', `\`${field}\` needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`);
    case 'minProperties':
      return at(path, 'length', `\`${field}\` needs at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`);
    case 'uniqueItems':
      return at(
        [...path, Number(params.i)],
        'unique',
        `\`${field}\` lists ${quoteItem((error.data as unknown[])[Number(params.i)])} twice (items ${Number(params.j) + 1} and ${Number(params.i) + 1})`,
        'remove the repeated item',
      );
    case 'pattern':
      return patternDiagnostic(path, field, error, at);
    case 'format':
      return at(path, 'format', `\`${field}\` must be a valid ${String(params.format).toUpperCase()}, got ${describe(error.data)}`, params.format === 'uri' ? 'write a full URL with its scheme, e.g. `http://127.0.0.1:11434/v1`' : undefined);
    case 'dependentRequired': {
      const property = String(params.property);
      const missing = String(params.missingProperty);
      return { ...at([...path, property], 'required', `\`${dottedPath([...path, property])}\` goes only with \`${missing}\`, which \`${field}\` does not have`, `add \`${missing}\` or remove \`${property}\``), ...source.keyAt([...path, property]) };
    }
    case 'anyOf':
      return at(path, 'type', `\`${field}\` must be a text or a mapping of language code to text, got ${describe(error.data)}`);
    default:
      return at(path, 'schema', `\`${field}\` ${error.message ?? 'is invalid'}`);
  }
}

/** A map key that breaks the map's `propertyNames` rule: a language code or a profile/intent name. */
function keyNameDiagnostic(error: ErrorObject, source: YamlSource): Diagnostic {
  const path = pointerToPath(error.instancePath);
  const name = String(error.propertyName);
  const keyPath = [...path, name];
  const pattern = String((error.params as { pattern?: string }).pattern ?? '');
  const isLanguage = pattern.startsWith('^[a-z]{2,3}');
  return {
    file: source.file,
    ...source.keyAt(keyPath),
    severity: 'error',
    code: 'pattern',
    path: dottedPath(keyPath),
    message: isLanguage
      ? `\`${name}\` in \`${dottedPath(path)}\` is not a BCP 47 language code`
      : `\`${name}\` is not a valid name in \`${dottedPath(path)}\``,
    hint: isLanguage ? 'use codes such as `en`, `fr`, `zh`, `pt-BR`' : 'names start with a letter and use letters, digits, `_` or `-` (at most 64 characters)',
  };
}

function patternDiagnostic(
  path: DocPath,
  field: string,
  error: ErrorObject,
  at: (p: DocPath, code: DiagnosticCode, message: string, hint?: string) => Diagnostic,
): Diagnostic {
  const pattern = String((error.params as { pattern: string }).pattern);
  if (pattern.includes('env:')) {
    const misspelled = typeof error.data === 'string' ? misspelledEnvReference(error.data) : undefined;
    if (misspelled?.style === 'shell') {
      // `${OPENAI_API_KEY}` works in a shell or a CI file; in YAML it is just text, and would be sent as the key.
      return at(path, 'pattern', `\`${field}\` is written \`${String(error.data).trim()}\`, shell syntax, which voiceagent does not expand; environment references are written \`\${env:NAME}\``, `write \`\${env:${misspelled.variable}}\``);
    }
    // `OPENAI_API_KEY`, `${ENV:OPENAI_API_KEY}`, `${env.OPENAI_API_KEY}`: the variable is right, only the wrapper is wrong.
    const variable = misspelled?.variable ?? (typeof error.data === 'string' ? /^([A-Za-z_][A-Za-z0-9_]*)$/.exec(error.data.trim())?.[1] : undefined);
    const hint = variable
      ? `write \`\${env:${variable}}\``
      : 'keep keys out of git: write `${env:OPENAI_API_KEY}` and set the variable where the agent runs';
    return at(path, 'pattern', `\`${field}\` must be an environment reference like \`\${env:NAME}\`, got ${describe(error.data)}`, hint);
  }
  if (pattern.startsWith('^[a-z]{2,3}')) {
    return at(path, 'pattern', `\`${field}\` must be a BCP 47 language code, got ${describe(error.data)}`, 'use codes such as `en`, `fr`, `zh`, `pt-BR`');
  }
  if (pattern.startsWith('^[a-z][a-z0-9-]')) {
    const slug = typeof error.data === 'string' ? error.data.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+|-+$/g, '') : '';
    return at(path, 'pattern', `\`${field}\` must be lower-case letters, digits and dashes starting with a letter, got ${describe(error.data)}`, slug ? `e.g. \`${slug}\`` : undefined);
  }
  return at(path, 'pattern', `\`${field}\` must match ${pattern}, got ${describe(error.data)}`);
}
