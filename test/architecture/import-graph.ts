/*
 * The import graph of `runtime/` and `cli/`, read from the source text, and the layer rules it must follow
 * (DESIGN.md section 2): an import only goes down, fakes stay out of the product path, the CLI uses only the
 * public API, and no module imports itself through a cycle.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Layers, lowest first. A module may import its own layer or any lower one. */
export const LAYER_RANK: Readonly<Record<string, number>> = {
  util: 0,
  dsl: 1,
  audio: 2,
  providers: 3,
  transports: 4,
  compiler: 5,
  call: 6,
  observe: 7,
  project: 7,
  sim: 8,
  server: 8,
  registry: 8,
  docs: 8,
  api: 9,
  cli: 10,
};

/** One import of one module: both as repository-relative paths (`runtime/call/machine.ts`). */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly line: number;
}

/** The layer of a repository-relative path: the folder under `runtime/`, `api` for the public entry points, `cli`. */
export function layerOf(path: string): string | undefined {
  if (path === 'runtime/index.ts' || path === 'runtime/testing.ts') return 'api';
  if (path.startsWith('cli/')) return 'cli';
  const match = /^runtime\/([^/]+)\//.exec(path);
  return match ? match[1] : undefined;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;

/** The relative imports of one source text, resolved to repository-relative `.ts`/`.tsx` paths. */
export function importsOf(file: string, text: string, exists: (path: string) => boolean): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (!specifier?.startsWith('.')) continue;
    const base = join(dirname(file), specifier).replace(/\\/g, '/');
    const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.js$/, '.tsx'), base];
    const to = candidates.find(exists) ?? candidates[0]!;
    const leading = match[0].length - match[0].trimStart().length;
    const line = text.slice(0, match.index + leading).split('\n').length;
    edges.push({ from: file, to, line });
  }
  return edges;
}

/** What is wrong with one import, or undefined when it follows the rules. */
export function violationOf(edge: ImportEdge): string | undefined {
  const fromLayer = layerOf(edge.from);
  const toLayer = layerOf(edge.to);
  const where = `${edge.from}:${edge.line} imports ${edge.to}`;
  if (fromLayer === 'cli') {
    if (toLayer === 'cli' || toLayer === 'api') return undefined;
    return `${where}: the CLI uses only the public API (runtime/index.ts, runtime/testing.ts)`;
  }
  if (fromLayer === undefined || toLayer === undefined) return undefined;
  if (edge.to.startsWith('runtime/providers/testing/') && !edge.from.startsWith('runtime/providers/testing/') && edge.from !== 'runtime/testing.ts') {
    return `${where}: the fakes in providers/testing are for tests (runtime/testing.ts), not the product path`;
  }
  const fromRank = LAYER_RANK[fromLayer];
  const toRank = LAYER_RANK[toLayer];
  if (fromRank === undefined || toRank === undefined) return `${where}: ${fromRank === undefined ? fromLayer : toLayer} is not a known layer (add it to LAYER_RANK)`;
  if (toRank > fromRank) return `${where}: ${fromLayer} must not import ${toLayer} (layers, lowest first: ${Object.keys(LAYER_RANK).join(' < ')})`;
  return undefined;
}

/** Import cycles among the given edges, each as the list of modules around it. */
export function cyclesOf(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  // Tarjan's strongly connected components.
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!indexOf.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, indexOf.get(to)!));
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of next.keys()) if (!indexOf.has(node)) visit(node);
  return cycles;
}

/** Every `.ts`/`.tsx` file under the folders, as repository-relative paths. */
export function sourceFiles(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(relative(root, path).replace(/\\/g, '/'));
    }
  };
  for (const folder of folders) walk(resolve(root, folder));
  return out.sort();
}

/** The import graph of the repository's `runtime/` and `cli/`. */
export function repositoryImports(root: string): ImportEdge[] {
  const files = sourceFiles(root, ['runtime', 'cli']);
  const known = new Set(files);
  return files.flatMap((file) => importsOf(file, readFileSync(resolve(root, file), 'utf8'), (path) => known.has(path)));
}
