/**
 * The shape of a compiled statechart: an XState v5 machine config restricted to plain data.
 * Actions, guards, actors and delays are referred to by name (with JSON `params`); the runtime binds them.
 * `schemas/compiled-agent.schema.json` describes the same shape and a test checks real output against it.
 */

import type { ActionRef, ActorName, DelayName, EventName, GuardRef } from './vocabulary.js';

/** A named action or guard, optionally with data parameters: how generic readers (Mermaid, docs) see them. */
export type NamedRef = string | { readonly type: string; readonly params?: unknown };

/** The names a chart may use. Compiled agents use {@link AgentVocabulary}; generic readers accept any names. */
export interface ChartVocabulary {
  readonly event: string;
  readonly delay: string;
  readonly guard: NamedRef;
  readonly action: NamedRef;
  readonly actor: string;
}

/** Transitions keyed by event or delay name: any string in a generic chart, only known names in an agent's. */
export type KeyedBy<K extends string, T> = string extends K ? Readonly<Record<string, T>> : { readonly [N in K]?: T };

/** The vocabulary of compiled agents (`vocabulary.ts`): what `runtime/call/machine.ts` implements. */
export interface AgentVocabulary extends ChartVocabulary {
  readonly event: EventName;
  readonly delay: DelayName;
  readonly guard: GuardRef;
  readonly action: ActionRef;
  readonly actor: ActorName;
}

/** JSON values (what `params` may hold). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A transition: target(s), an optional guard, actions. */
export interface TransitionConfig<V extends ChartVocabulary = ChartVocabulary> {
  readonly target?: string;
  readonly guard?: V['guard'];
  readonly actions?: V['action'] | readonly V['action'][];
  readonly reenter?: boolean;
  readonly description?: string;
}

/** One or several candidate transitions for an event (the first whose guard passes is taken). */
export type TransitionsConfig<V extends ChartVocabulary = ChartVocabulary> = string | TransitionConfig<V> | readonly TransitionConfig<V>[];

/** An invoked actor, referred to by its implementation name. */
export interface InvokeConfig<V extends ChartVocabulary = ChartVocabulary> {
  readonly id: string;
  readonly src: V['actor'];
}

/** A state node. */
export interface StateNodeConfig<V extends ChartVocabulary = ChartVocabulary> {
  readonly id?: string;
  readonly type?: 'parallel' | 'final';
  readonly initial?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly entry?: V['action'] | readonly V['action'][];
  readonly exit?: V['action'] | readonly V['action'][];
  readonly invoke?: InvokeConfig<V>;
  readonly on?: KeyedBy<V['event'], TransitionsConfig<V>>;
  /** Delayed transitions keyed by a named delay (bound by the runtime, values in {@link CompiledAgent.delays}). */
  readonly after?: KeyedBy<V['delay'], TransitionsConfig<V>>;
  readonly always?: TransitionsConfig<V>;
  readonly states?: Readonly<Record<string, StateNodeConfig<V>>>;
}

/** The root of a compiled chart. */
export interface MachineConfig<V extends ChartVocabulary = ChartVocabulary> extends StateNodeConfig<V> {
  readonly id: string;
}

/** What `compileAgent` produces: the chart plus the numbers its named delays and milestones stand for. */
export interface CompiledAgent {
  /** Format marker, bumped when the compiled shape changes incompatibly. */
  readonly format: 'voiceagent/compiled-agent@1';
  readonly agent: {
    readonly name: string;
    readonly mode: 'dualplex' | 'cascade' | 'speech-to-speech';
    /** sha256 of the agent file's text, when known. */
    readonly sourceHash?: string;
  };
  readonly machine: MachineConfig<AgentVocabulary>;
  /**
   * Named delays used in `after`, in milliseconds. Delays absent here depend on the turn and are computed by
   * the runtime from the parameters in {@link CompiledAgent.dynamicDelays}.
   */
  readonly delays: Readonly<Record<string, number>>;
  /** Parameters of delays computed per turn (endpointing from text cues, first-token timeout per routed model). */
  readonly dynamicDelays: Readonly<Record<string, Readonly<Record<string, JsonValue>>>>;
  /**
   * Caller speech durations (ms) at which the frame pipeline sends `CALLER.SPEECH_MS`, so the chart sees
   * `pauseAfterMs` and `confirm.minSpeechMs` being reached on the very frame that reaches them.
   */
  readonly speechMilestonesMs: readonly number[];
  /**
   * Backchannels ("uh-huh", "ouais", "嗯") of each language the agent supports: the built-in list of the
   * language with the agent's `bargeIn.backchannels` changes. The guards that ask whether caller words are
   * backchannels use the list of the call's current language.
   */
  readonly backchannels: Readonly<Record<string, readonly string[]>>;
}

/** A state node of a compiled agent's chart: names from {@link AgentVocabulary} only. */
export type AgentStateNode = StateNodeConfig<AgentVocabulary>;

/** A transition of a compiled agent's chart. */
export type AgentTransition = TransitionConfig<AgentVocabulary>;
