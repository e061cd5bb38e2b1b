/*
 * The playground's view of a call comes from the same `callView` reducer as the terminal UI: runtime/observe,
 * bundled by esbuild into one browser ES module. Loaded as a browser would load it (a module with no Node
 * built-ins to import), it exports callView and friends, and folding a call's events gives exactly the view
 * the Node module gives. A module that imports a Node built-in is refused by the bundler, which is what keeps
 * observe browser-safe; the cache builds once however many requests come.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallEvent } from '../../runtime/call/events.js';
import * as observe from '../../runtime/observe/index.js';
import { buildObserveBundle, createObserveBundleCache, type ObserveBundle } from '../../runtime/server/playground/observe-bundle.js';

const tmp = mkdtempSync(join(tmpdir(), 'voiceagent-observe-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A short call: greeting, a question, a reply the caller cut short, a barge-in. */
function callEvents(): CallEvent[] {
  const envelope = (seq: number, atMs: number) => ({ v: 2 as const, callId: 'c-1', agent: 'receptionist', seq, atMs, wallTime: new Date(Date.UTC(2026, 11, 7, 10, 0, 0, atMs)).toISOString() });
  const bodies = [
    { type: 'call.started', atMs: 0, mode: 'dualplex', language: 'en', sampleRate: 16000 },
    { type: 'agent.utterance', atMs: 0, utteranceId: 1, purpose: 'greeting' },
    { type: 'agent.text', atMs: 0, utteranceId: 1, delta: 'Thanks for calling, how can I help?' },
    { type: 'state', atMs: 0, states: ['active.caller.silent', 'active.agent.responding.speaking', 'active.language.en', 'active.turn.listening.quiet'] },
    { type: 'agent.audio', atMs: 20, utteranceId: 1, started: true },
    { type: 'state', atMs: 2400, states: ['active.caller.silent', 'active.agent.idle.attentive', 'active.language.en', 'active.turn.listening.quiet'] },
    { type: 'caller.speech', atMs: 3000, speaking: true },
    { type: 'transcript', atMs: 3300, final: true, text: 'How much is a check-up?', words: [{ text: 'How', confidence: 0.9, stable: true }] },
    { type: 'turn.committed', atMs: 4000, index: 1, userText: 'How much is a check-up?', language: 'en', speechEndMs: 3700, endpointCue: 'question' },
    { type: 'agent.utterance', atMs: 4000, utteranceId: 2, purpose: 'reply', turnIndex: 1 },
    { type: 'agent.text', atMs: 4200, utteranceId: 2, delta: 'A check-up and cleaning is ninety-five dollars.' },
    { type: 'barge-in', atMs: 5000, decision: 'paused', record: { onsetMs: 4920, kind: 'pending', reactedAtMs: 5000, reactionMs: 80 } },
    { type: 'agent.cut', atMs: 5300, utteranceId: 2, by: 'caller', heardMs: 900, heardText: 'A check-up and cleaning', intendedText: 'A check-up and cleaning is ninety-five dollars.' },
    { type: 'turn', atMs: 5300, record: { index: 1, userText: 'How much is a check-up?', spans: { endpointingMs: 300, responseMs: 800 }, outcome: 'interrupted' } },
  ];
  return bodies.map((body, seq) => ({ ...envelope(seq, body.atMs), ...body }) as unknown as CallEvent);
}

/** Imports a bundle the way a browser would: from a file of its own, away from node_modules and the sources. */
async function load(bundle: ObserveBundle, name: string): Promise<typeof observe> {
  if (!bundle.ok) throw new Error(bundle.message);
  const file = join(tmp, `${name}.mjs`);
  writeFileSync(file, bundle.code);
  return (await import(pathToFileURL(file).href)) as typeof observe;
}

describe('runtime/observe for the browser', () => {
  it('bundles into one ES module with no imports, exporting callView and folding a call exactly as Node does', async () => {
    const bundle = await buildObserveBundle();
    expect(bundle.ok).toBe(true);
    if (!bundle.ok) return;
    // One self-contained module: nothing left to resolve, nothing from Node.
    expect(bundle.code).not.toMatch(/^\s*import\s/m);
    expect(bundle.code).not.toMatch(/\bnode:|require\(/);
    const browser = await load(bundle, 'observe');
    for (const name of ['callView', 'initialCallView', 'foldEvents', 'conversationLines', 'activityOf', 'percentile', 'SPAN_NAMES']) expect(browser, name).toHaveProperty(name);

    const events = callEvents();
    let view = browser.initialCallView({ levelHistory: 200 });
    for (const event of events) view = browser.callView(view, event);
    expect(view).toEqual(observe.foldEvents(events, { levelHistory: 200 }));
    // The parts the page draws, as the page sees them.
    expect(view.bargeIns[0]).toMatchObject({ onsetMs: 4920, reaction: 'paused', reactionMs: 80 });
    const lines = browser.conversationLines(view);
    expect(lines.map((line) => line.role)).toEqual(['agent', 'caller', 'agent']);
    expect(lines[2]).toMatchObject({ status: 'cut', cut: { heardText: 'A check-up and cleaning', unheardText: ' is ninety-five dollars.' } });
    expect(view.waterfall.turns[0]).toMatchObject({ index: 1, spans: { endpointingMs: 300, responseMs: 800 }, outcome: 'interrupted' });
  });

  it('refuses a module that imports a Node built-in: the build fails, it does not ship a broken page', async () => {
    const entry = join(tmp, 'node-only.ts');
    writeFileSync(entry, "import { readFileSync } from 'node:fs';\nexport const read = () => readFileSync('/etc/hostname', 'utf8');\n");
    const bundle = await buildObserveBundle(entry);
    expect(bundle.ok).toBe(false);
    if (!bundle.ok) expect(bundle.message).toMatch(/could not bundle runtime\/observe for the playground: .*node:fs/s);
  });

  it('is built once, however many requests ask for it', async () => {
    let builds = 0;
    const cached = createObserveBundleCache(async () => {
      builds++;
      return { ok: true, code: 'export {};', buildMs: 0 };
    });
    const answers = await Promise.all([cached(), cached(), cached()]);
    expect(builds).toBe(1);
    expect(new Set(answers).size).toBe(1);
  });
});
