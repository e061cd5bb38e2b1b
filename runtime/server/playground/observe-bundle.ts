import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/*
 * The browser's copy of `runtime/observe`: the same `callView` reducer the TUI and `monitor` run, bundled into
 * one ES module by esbuild when the playground first asks for it. Built from whatever this process runs (the
 * `.ts` sources under tsx, `dist/` once built), so the page and the terminal can never disagree on what a call
 * looks like. observe imports nothing but types from lower layers; `platform: 'browser'` makes a Node-only
 * import a build error here rather than a broken page.
 */

/** The bundle, or why it could not be built. */
export type ObserveBundle = { readonly ok: true; readonly code: string; readonly buildMs: number } | { readonly ok: false; readonly message: string };

/** The entry module of runtime/observe beside this file: `.ts` when running from sources, `.js` from dist. */
export function observeEntry(): string {
  const here = fileURLToPath(import.meta.url);
  const ext = here.endsWith('.ts') ? 'ts' : 'js';
  const entry = fileURLToPath(new URL(`../../observe/index.${ext}`, import.meta.url));
  if (!existsSync(entry)) throw new Error(`runtime/observe is missing beside ${here} (looked for ${entry})`);
  return entry;
}

/**
 * Bundles runtime/observe as an ES module for browsers. Never rejects: a failure (esbuild missing or unable to
 * run on this platform) comes back as `{ ok: false }` for the route to report, and the rest of the server
 * goes on.
 */
export async function buildObserveBundle(entry?: string): Promise<ObserveBundle> {
  const started = performance.now();
  try {
    // Imported here, not at the top: most users of the runtime never serve the playground and should not load esbuild.
    const esbuild = await import('esbuild');
    const result = await esbuild.build({
      entryPoints: [entry ?? observeEntry()],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
      banner: { js: '// voiceagent runtime/observe for the playground: callView and friends, bundled by esbuild.' },
    });
    const code = result.outputFiles[0]?.text ?? '';
    return { ok: true, code, buildMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, message: `could not bundle runtime/observe for the playground: ${(error as Error)?.message ?? String(error)}` };
  }
}

/** A bundle built once, on first use, and shared by every request after (a failure is kept too: it will not get better). */
export function createObserveBundleCache(build: () => Promise<ObserveBundle> = () => buildObserveBundle()): () => Promise<ObserveBundle> {
  let bundle: Promise<ObserveBundle> | undefined;
  return () => (bundle ??= build());
}
