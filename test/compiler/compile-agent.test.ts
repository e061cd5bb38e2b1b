// `voiceagent compile` output is what people paste into Stately's visualiser and what the runtime binds: it
// must be plain JSON that matches schemas/compiled-agent.schema.json, that XState accepts, whose every
// named action/guard/delay/actor the runtime implements, and whose numbers are the ones in the agent's YAML.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { createCallMachine } from '../../runtime/call/machine.js';
import {
  compileAgent,
  toMermaid,
  type CompiledAgent,
  type MachineConfig,
  type NamedRef,
  type StateNodeConfig,
  type TransitionConfig,
  type TransitionsConfig,
} from '../../runtime/compiler/index.js';
import { loadAgent, type AgentSpec } from '../../runtime/dsl/index.js';
import { lintMermaid } from './mermaid-lint.js';

// ajv-formats ships CommonJS with `export default`; under NodeNext the callable sits on `.default`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020) => void;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_FILES = readdirSync(join(ROOT, 'agents'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
const validateCompiled = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas/compiled-agent.schema.json'), 'utf8')) as object);

function load(file: string): { spec: AgentSpec; sourceHash: string } {
  const result = loadAgent({ file: join(ROOT, 'agents', file) });
  if (!result.ok) throw new Error(`${file} does not load: ${JSON.stringify(result.diagnostics)}`);
  return { spec: result.spec, sourceHash: result.sourceHash };
}

/** An example agent with some YAML changed, loaded through the real pipeline (schema defaults, checks). */
function variant(file: string, change: (doc: Record<string, any>) => void): CompiledAgent {
  const doc = parse(readFileSync(join(ROOT, 'agents', file), 'utf8')) as Record<string, any>;
  change(doc);
  const result = loadAgent({ file: `variant-of-${file}`, text: stringify(doc) });
  if (!result.ok) throw new Error(`variant of ${file} does not load: ${JSON.stringify(result.diagnostics)}`);
  return compileAgent(result.spec);
}

/** A state node by its path below the root (`['active', 'agent', 'responding', 'speaking']`). */
function stateAt(machine: MachineConfig, path: readonly string[]): StateNodeConfig {
  let node: StateNodeConfig = machine;
  for (const name of path) {
    const child = node.states?.[name];
    if (!child) throw new Error(`no state ${path.join('.')}`);
    node = child;
  }
  return node;
}

const AGENT = ['active', 'agent'];
const RESPONDING = [...AGENT, 'responding'];

interface Visited {
  readonly path: readonly string[];
  readonly node: StateNodeConfig;
}

/** Every state node, depth first, with its path below the root. */
function allStates(machine: MachineConfig): Visited[] {
  const out: Visited[] = [];
  const visit = (node: StateNodeConfig, path: string[]) => {
    out.push({ path, node });
    for (const [name, child] of Object.entries(node.states ?? {})) visit(child, [...path, name]);
  };
  visit(machine, []);
  return out;
}

const asList = <T>(value: T | readonly T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? [...(value as T[])] : [value as T]);
const refName = (ref: NamedRef) => (typeof ref === 'string' ? ref : ref.type);

function transitionsOf(t: TransitionsConfig): TransitionConfig[] {
  return typeof t === 'string' ? [{ target: t }] : asList(t as TransitionConfig | readonly TransitionConfig[]);
}

/** Every transition of a state node, labelled with its event (`after <delay>` for delays, `always`). */
function transitionsFrom(node: StateNodeConfig): { event: string; transition: TransitionConfig }[] {
  const groups: [string, TransitionsConfig][] = [
    ...Object.entries(node.on ?? {}),
    ...Object.entries(node.after ?? {}).map(([delay, t]): [string, TransitionsConfig] => [`after ${delay}`, t]),
    ...(node.always ? [['always', node.always] as [string, TransitionsConfig]] : []),
  ];
  return groups.flatMap(([event, t]) => transitionsOf(t).map((transition) => ({ event, transition })));
}

/** Names the chart refers to, by kind. */
function namesUsed(machine: MachineConfig): { actions: Set<string>; guards: Set<string>; delays: Set<string>; actors: Set<string> } {
  const used = { actions: new Set<string>(), guards: new Set<string>(), delays: new Set<string>(), actors: new Set<string>() };
  for (const { node } of allStates(machine)) {
    for (const ref of [...asList(node.entry), ...asList(node.exit)]) used.actions.add(refName(ref));
    for (const delay of Object.keys(node.after ?? {})) used.delays.add(delay);
    if (node.invoke) used.actors.add(node.invoke.src);
    for (const { transition } of transitionsFrom(node)) {
      for (const ref of asList(transition.actions)) used.actions.add(refName(ref));
      if (transition.guard) used.guards.add(refName(transition.guard));
    }
  }
  return used;
}

/** Dotted path of the state a target names (`#call.a.b`, `.child`, `sibling`), or undefined if there is none. */
function resolveTarget(machine: MachineConfig, from: readonly string[], target: string): string | undefined {
  let path: string[];
  if (target.startsWith('#')) {
    const [id, ...rest] = target.slice(1).split('.');
    if (id !== machine.id) return undefined;
    path = rest;
  } else if (target.startsWith('.')) path = [...from, ...target.slice(1).split('.')];
  else path = [...from.slice(0, -1), ...target.split('.')];
  try {
    stateAt(machine, path);
    return path.join('.');
  } catch {
    return undefined;
  }
}

/** Every target and `initial` that names no state, as `state: target`. */
function danglingTargets(machine: MachineConfig): string[] {
  const problems: string[] = [];
  for (const { path, node } of allStates(machine)) {
    if (node.initial !== undefined && !node.states?.[node.initial]) problems.push(`${path.join('.')}: initial ${node.initial}`);
    for (const { transition } of transitionsFrom(node)) {
      if (transition.target !== undefined && resolveTarget(machine, path, transition.target) === undefined) problems.push(`${path.join('.')}: ${transition.target}`);
    }
  }
  return problems;
}

/** The transitions, anywhere in the chart, that enter the state at `path`. */
function transitionsInto(machine: MachineConfig, path: readonly string[]): string[] {
  const wanted = path.join('.');
  return allStates(machine).flatMap(({ path: from, node }) =>
    transitionsFrom(node)
      .filter(({ transition }) => transition.target !== undefined && resolveTarget(machine, from, transition.target) === wanted)
      .map(({ event }) => `${from.join('.')} ${event}`),
  );
}

describe.each(AGENT_FILES)('compileAgent(agents/%s)', (file) => {
  const { spec, sourceHash } = load(file);
  const compiled = compileAgent(spec, { sourceHash });

  it('matches schemas/compiled-agent.schema.json', () => {
    const valid = validateCompiled(compiled);
    expect(validateCompiled.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(compiled.agent).toEqual({ name: spec.name, mode: spec.inference.mode, sourceHash });
  });

  it('is plain JSON: no functions, undefined values or class instances', () => {
    expect(JSON.parse(JSON.stringify(compiled))).toStrictEqual(compiled);
  });

  it('is deterministic: the same file compiles to the same text', () => {
    const again = compileAgent(load(file).spec, { sourceHash });
    expect(JSON.stringify(again, null, 2)).toBe(JSON.stringify(compiled, null, 2));
    expect(toMermaid(again.machine)).toBe(toMermaid(compiled.machine));
  });

  it('is accepted by XState as it is, and by the runtime with its implementations bound', () => {
    expect(() => createMachine(JSON.parse(JSON.stringify(compiled.machine)) as never)).not.toThrow();
    expect(() => createCallMachine(compiled)).not.toThrow();
  });

  it('refers only to actions, guards, delays and actors that runtime/call implements', () => {
    const implementations = createCallMachine(compiled).implementations;
    const used = namesUsed(compiled.machine);
    for (const kind of ['actions', 'guards', 'delays', 'actors'] as const) {
      const missing = [...used[kind]].filter((name) => !(name in implementations[kind]));
      expect(missing, `${kind} used by the chart but not implemented`).toEqual([]);
    }
    // The check sees the names: an empty set would make it pass vacuously.
    expect(used.guards).toContain('bargeInConfirmed');
    expect(used.actors).toEqual(new Set(['reply']));
  });

  it('gives every fixed delay a number', () => {
    const fixed = Object.keys(compiled.delays);
    const dynamic = Object.keys(compiled.dynamicDelays);
    for (const delay of namesUsed(compiled.machine).delays) expect([...fixed, ...dynamic]).toContain(delay);
  });

  it('has a target for every transition and an initial state for every compound state', () => {
    expect(danglingTargets(compiled.machine)).toEqual([]);
  });

  it('renders a Mermaid diagram with every state and only declared ids', () => {
    const text = toMermaid(compiled.machine);
    expect(text.startsWith('stateDiagram-v2\n')).toBe(true);
    const diagram = lintMermaid(text);
    expect(diagram.problems).toEqual([]);
    const expected = allStates(compiled.machine).filter(({ path }) => path.length > 0);
    expect([...diagram.states.keys()].sort()).toEqual(expected.map(({ path }) => path.join('_')).sort());
    for (const { path, node } of expected) {
      const state = diagram.states.get(path.join('_'))!;
      expect(state.label).toBe(path.at(-1));
      expect(state.parent).toBe(path.slice(0, -1).join('_'));
      expect(state.composite).toBe(node.states !== undefined);
    }
    // The four parallel regions are three `--` apart.
    expect(diagram.states.get('active')!.separators).toBe(Object.keys(stateAt(compiled.machine, ['active']).states!).length - 1);
    expect(diagram.finals).toEqual(['ended']);
  });

  it('draws every transition of an atomic state as an arrow with its event and guard', () => {
    const edges = new Set(lintMermaid(toMermaid(compiled.machine)).edges.map((e) => `${e.from} --> ${e.to} : ${e.label}`));
    for (const { path, node } of allStates(compiled.machine).filter(({ node }) => !node.states)) {
      for (const { event, transition } of transitionsFrom(node)) {
        const target = transition.target === undefined ? path.join('.') : resolveTarget(compiled.machine, path, transition.target)!;
        const label = transition.guard ? `${event} [${refName(transition.guard)}]` : event;
        expect(edges).toContain(`${path.join('_')} --> ${target.replace(/\./g, '_')} : ${label}`);
      }
    }
  });
});

describe('compiled numbers come from the YAML', () => {
  it('puts bargeIn.pauseAfterMs, confirm and falseInterruption where the runtime reads them', () => {
    const compiled = variant('receptionist.yaml', (doc) => {
      doc.bargeIn.pauseAfterMs = 70;
      doc.bargeIn.confirm.minSpeechMs = 310;
      doc.bargeIn.falseInterruption = { resumeAfterMs: 950 };
    });
    const speaking = stateAt(compiled.machine, [...RESPONDING, 'speaking']);
    expect(speaking.on?.['CALLER.SPEECH_MS']).toMatchObject({ guard: { type: 'speechAtLeast', params: { ms: 70 } }, target: 'paused' });
    // While thinking, only a confirmed interruption (words, not bare voice activity) abandons the reply.
    expect(stateAt(compiled.machine, [...RESPONDING, 'thinking']).on?.['STT.PARTIAL']).toMatchObject({ guard: { type: 'bargeInConfirmed', params: { minSpeechMs: 310, minWords: 1 } } });
    const paused = stateAt(compiled.machine, [...RESPONDING, 'paused']);
    expect(paused.on?.['CALLER.SPEECH_MS']).toMatchObject({ guard: { type: 'bargeInConfirmed', params: { minSpeechMs: 310, minWords: 1, minConfidence: 0.6 } } });
    expect(paused.after).toHaveProperty('falseInterruptionResumeMs');
    expect(compiled.delays.falseInterruptionResumeMs).toBe(950);
    expect(compiled.speechMilestonesMs).toEqual([70, 310]);
  });

  it('carries the example agents\' own numbers', () => {
    const receptionist = compileAgent(load('receptionist.yaml').spec);
    expect(receptionist.speechMilestonesMs).toEqual([80, 250]);
    // Watchdog: twice the slowest first-token timeout (1500 ms, the default of `fast`) plus 4 s.
    expect(receptionist.delays).toEqual({ falseInterruptionResumeMs: 1200, sttFinalTimeoutMs: 1500, endpointMaxSilenceMs: 1200, replyWatchdogMs: 7000 });
    expect(receptionist.dynamicDelays.endpointDelayMs).toMatchObject({ minSilenceMs: 300, maxSilenceMs: 1200 });
    expect(receptionist.dynamicDelays.firstTokenTimeoutMs).toMatchObject({ models: { smart: { firstTokenTimeoutMs: 700, fallback: 'fast' } } });

    const dispatch = compileAgent(load('dispatch.yaml').spec);
    expect(dispatch.speechMilestonesMs).toEqual([40, 120]);
    expect(dispatch.delays.falseInterruptionResumeMs).toBe(800);
    expect(dispatch.dynamicDelays.callerSilenceMs).toEqual({ repromptAfterMs: 5000, hangupAfterMs: 90000 });
    const cut = asList(stateAt(dispatch.machine, [...RESPONDING, 'interrupted']).entry)[0];
    expect(cut).toEqual({ type: 'cutPlayout', params: expect.objectContaining({ at: 'immediate', fadeMs: 4 }) });
    expect(stateAt(dispatch.machine, [...RESPONDING, 'speaking']).on?.['STT.PARTIAL']).toMatchObject({
      guard: { type: 'interruptPhraseHeard', params: { phrases: expect.arrayContaining(['stop', 'fire', 'gas']), minConfidence: 0.5 } },
    });
  });

  it('removes every way into paused and interrupted when bargeIn.enabled is false', () => {
    const compiled = variant('receptionist.yaml', (doc) => {
      doc.bargeIn.enabled = false;
    });
    const fromOutside = (into: string) =>
      transitionsInto(compiled.machine, [...RESPONDING, into]).filter((t) => !/^active\.agent\.responding\.(paused|interrupted) /.test(t));
    expect(fromOutside('paused')).toEqual([]);
    expect(fromOutside('interrupted')).toEqual([]);
    expect(Object.keys(stateAt(compiled.machine, [...RESPONDING, 'speaking']).on ?? {})).toEqual(['PLAYOUT.DRAINED']);
    expect(stateAt(compiled.machine, [...RESPONDING, 'thinking']).on?.['STT.PARTIAL']).toBeUndefined();
    expect(Object.keys(stateAt(compiled.machine, RESPONDING).states ?? {})).toEqual(['thinking', 'speaking']);
    expect(compiled.speechMilestonesMs).toEqual([]);
    expect(toMermaid(compiled.machine)).not.toMatch(/_(speaking|thinking) --> active_agent_responding_(paused|interrupted) /);

    const enabled = compileAgent(load('receptionist.yaml').spec);
    expect(transitionsInto(enabled.machine, [...RESPONDING, 'paused'])).toEqual(['active.agent.responding.speaking CALLER.SPEECH_MS']);
  });

  it("waits for the recogniser's VAD in paused only when the recogniser runs one and confirm.serverVad is on", () => {
    const paused = (edit: (doc: Record<string, any>) => void, file = 'receptionist.yaml') => stateAt(variant(file, edit).machine, [...RESPONDING, 'paused']);
    const serverStt = (doc: Record<string, any>) => {
      doc.inference.realtime.turnDetection = 'server_vad';
    };
    const heard = paused(serverStt).on?.['STT.SPEECH_START'];
    expect(heard).toMatchObject({ guard: { type: 'bargeInConfirmed', params: { serverVad: true, minSpeechMs: 250 } }, target: 'interrupted' });
    expect(paused(serverStt).on?.['CALLER.SPEECH_MS']).toMatchObject({ guard: { params: { serverVad: true } } });

    const local = paused(() => {});
    expect(local.on?.['STT.SPEECH_START']).toBeUndefined();
    expect(local.on?.['CALLER.SPEECH_MS']).toMatchObject({ guard: { params: { serverVad: false } } });
    const off = paused((doc) => {
      serverStt(doc);
      doc.bargeIn.confirm.serverVad = false;
    });
    expect(off.on?.['STT.SPEECH_START']).toBeUndefined();

    // Cascade: the transcription session's own turn detection.
    const cascade = (turnDetection: string) =>
      paused((doc) => {
        doc.stt = { provider: 'openai', model: 'gpt-4o-transcribe', turnDetection };
      }, 'dispatch.yaml').on?.['STT.SPEECH_START'];
    expect(cascade('semantic_vad')).toMatchObject({ guard: { params: { serverVad: true } } });
    expect(cascade('local')).toBeUndefined();
  });

  it('starts a draft on the endpoint only with turnTaking.preemptiveGeneration', () => {
    const endpointing = ['active', 'turn', 'endpointing'];
    const on = stateAt(compileAgent(load('receptionist.yaml').spec).machine, endpointing);
    expect(on.entry).toBe('startDraft');
    expect(on.on?.['STT.PARTIAL']).toEqual({ guard: 'draftWorthStarting', actions: 'startDraft' });

    const off = variant('receptionist.yaml', (doc) => {
      doc.turnTaking.preemptiveGeneration = false;
    });
    expect(stateAt(off.machine, endpointing).entry).toBeUndefined();
    expect(stateAt(off.machine, endpointing).on?.['STT.PARTIAL']).toBeUndefined();
    expect(namesUsed(off.machine).actions).not.toContain('startDraft');
  });

  it('adds a state per supported language and a languageSwitch guard per target when switching is on', () => {
    const compiled = compileAgent(load('multilingual.yaml').spec);
    const language = stateAt(compiled.machine, ['active', 'language']);
    expect(language.initial).toBe('en');
    expect(Object.keys(language.states ?? {})).toEqual(['en', 'fr', 'zh']);
    expect(language.states?.fr).toEqual({ tags: ['language:fr'] });
    expect(transitionsOf(language.on!['STT.FINAL']!)).toEqual(
      ['en', 'fr', 'zh'].map((to) => ({
        guard: { type: 'languageSwitch', params: { to, minConfidence: 0.8, minWords: 2 } },
        target: `.${to}`,
        actions: { type: 'switchLanguage', params: { to } },
      })),
    );

    const off = variant('multilingual.yaml', (doc) => {
      doc.languages.switching.enabled = false;
    });
    const still = stateAt(off.machine, ['active', 'language']);
    expect(Object.keys(still.states ?? {})).toEqual(['en', 'fr', 'zh']);
    expect(still.on).toBeUndefined();
    expect(namesUsed(off.machine).guards).not.toContain('languageSwitch');

    const single = stateAt(compileAgent(load('receptionist.yaml').spec).machine, ['active', 'language']);
    expect(single).toMatchObject({ initial: 'en', states: { en: { tags: ['language:en'] } } });
    expect(single.on).toBeUndefined();
  });

  it('starts in a greeting state only when the prompt has a greeting', () => {
    const greeted = stateAt(compileAgent(load('receptionist.yaml').spec).machine, AGENT);
    expect(greeted.initial).toBe('greeting');
    expect(greeted.states?.greeting).toMatchObject({ entry: 'queueGreeting', on: { 'AGENT.SAY': { target: 'responding' } } });

    const silent = stateAt(
      variant('receptionist.yaml', (doc) => {
        delete doc.prompt.greeting;
      }).machine,
      AGENT,
    );
    expect(silent.initial).toBe('idle');
    expect(silent.states?.greeting).toBeUndefined();
  });

  it('routes the first-token timeout to a hedge only through routedModelHasFallback', () => {
    const waiting = stateAt(compileAgent(load('receptionist.yaml').spec).machine, [...RESPONDING, 'thinking', 'waitingFirstToken']);
    expect(transitionsOf(waiting.after!.firstTokenTimeoutMs!)).toMatchObject([
      { guard: 'routedModelHasFallback', target: 'hedging', actions: 'startFallbackModel' },
      { target: 'late', actions: 'recordSlowFirstToken' },
    ]);
  });
});

describe('the checks in this file', () => {
  // A broken chart must fail them; otherwise a passing run would prove nothing.
  const compiled = compileAgent(load('receptionist.yaml').spec);

  it('find a target that names no state', () => {
    const broken = JSON.parse(JSON.stringify(compiled.machine)) as MachineConfig & { states: Record<string, any> };
    broken.states.active.states.turn.states.listening.on['CALLER.SPEECH_END'][1].target = 'nowhere';
    expect(danglingTargets(broken)).toEqual(['active.turn.listening: nowhere']);
    expect(() => createMachine(broken as never)).toThrow();
  });

  it('find a name the runtime does not implement', () => {
    const broken = JSON.parse(JSON.stringify(compiled.machine)) as MachineConfig & { states: Record<string, any> };
    broken.states.ended.entry = 'launchRockets';
    const implementations = createCallMachine(compiled).implementations;
    expect(namesUsed(broken).actions).toContain('launchRockets');
    expect('launchRockets' in implementations.actions).toBe(false);
  });

  it('reject what is not JSON', () => {
    const withFunction = { ...compiled, machine: { ...compiled.machine, entry: (() => undefined) as never } };
    expect(JSON.parse(JSON.stringify(withFunction))).not.toStrictEqual(withFunction);
    expect(validateCompiled({ ...compiled, machine: { ...compiled.machine, description: undefined } })).toBe(true);
    expect(validateCompiled({ ...compiled, delays: { falseInterruptionResumeMs: -1 } })).toBe(false);
  });
});

describe('Mermaid for agents/receptionist.yaml', () => {
  const text = toMermaid(compileAgent(load('receptionist.yaml').spec).machine);

  it('has the barge-in edges', () => {
    const responding = (name: string) => `active_agent_responding_${name}`;
    const lines = text.split('\n').map((line) => line.trim());
    for (const edge of [
      `${responding('speaking')} --> ${responding('paused')} : CALLER.SPEECH_MS [speechAtLeast]`,
      `${responding('speaking')} --> ${responding('interrupted')} : STT.PARTIAL [interruptPhraseHeard]`,
      `${responding('paused')} --> ${responding('interrupted')} : CALLER.SPEECH_MS [bargeInConfirmed]`,
      `${responding('paused')} --> ${responding('interrupted')} : STT.PARTIAL [bargeInConfirmed]`,
      `${responding('paused')} --> ${responding('speaking')} : after falseInterruptionResumeMs`,
      `${responding('paused')} --> ${responding('speaking')} : CALLER.SPEECH_END [utteranceIsBackchannel]`,
      `${responding('interrupted')} --> active_agent_idle : always`,
      `${responding('speaking')} --> active_agent_idle : PLAYOUT.DRAINED`,
    ]) {
      expect(lines).toContain(edge);
    }
  });

  it('nests the call: parallel regions inside `active`, then `ended`', () => {
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual(['stateDiagram-v2', '  [*] --> active', '  state "active" as active {', '    state "caller" as active_caller {']);
    expect(lines.filter((line) => line === '    --')).toHaveLength(3);
    expect(lines).toContain('  active --> ended : CALL.HANGUP');
  });
});
