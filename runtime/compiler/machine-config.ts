/**
 * The shape of a compiled statechart: an XState v5 machine config restricted to plain data.
 * Actions, guards, actors and delays are referred to by name (with JSON `params`); the runtime binds them.
 * `schemas/compiled-agent.schema.json` describes the same shape and a test checks real output against it.
 */

/** A named action or guard, optionally with data parameters. */
export type NamedRef = string | { readonly type: string; readonly params?: Readonly<Record<string, JsonValue>> };

/** JSON values (what `params` may hold). */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A transition: target(s), an optional guard, actions. */
export interface TransitionConfig {
  readonly target?: string;
  readonly guard?: NamedRef;
  readonly actions?: NamedRef | readonly NamedRef[];
  readonly reenter?: boolean;
  readonly description?: string;
}

/** One or several candidate transitions for an event (the first whose guard passes is taken). */
export type TransitionsConfig = string | TransitionConfig | readonly TransitionConfig[];

/** An invoked actor, referred to by its implementation name. */
export interface InvokeConfig {
  readonly id: string;
  readonly src: string;
}

/** A state node. */
export interface StateNodeConfig {
  readonly id?: string;
  readonly type?: 'parallel' | 'final';
  readonly initial?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly entry?: NamedRef | readonly NamedRef[];
  readonly exit?: NamedRef | readonly NamedRef[];
  readonly invoke?: InvokeConfig;
  readonly on?: Readonly<Record<string, TransitionsConfig>>;
  /** Delayed transitions keyed by a named delay (bound by the runtime, values in {@link CompiledAgent.delays}). */
  readonly after?: Readonly<Record<string, TransitionsConfig>>;
  readonly always?: TransitionsConfig;
  readonly states?: Readonly<Record<string, StateNodeConfig>>;
}

/** The root of a compiled chart. */
export interface MachineConfig extends StateNodeConfig {
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
  readonly machine: MachineConfig;
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
}
