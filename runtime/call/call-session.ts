import { randomUUID } from 'node:crypto';
import { createActor, type Actor, type AnyStateMachine } from 'xstate';
import { compileAgent, type CompiledAgent } from '../compiler/index.js';
import type { AgentSpec } from '../dsl/index.js';
import type { CallTransport, PlayedReport, TransportStartInfo } from '../transports/types.js';
import type { TimedWord } from '../audio/playout.js';
import { realClock, type Clock } from '../util/clock.js';
import { createIsoFormatter } from '../util/iso-time.js';
import { copyJsonInto } from '../util/json-copy.js';
import type { CallProviders } from '../providers/call-providers.js';
import { CallController } from './call-controller.js';
import type { CallRecord } from './call-record.js';
import type { CallEvent, CallEventBody } from './events.js';
import { createCallMachine } from './machine.js';

/** An agent ready to take calls: its spec, compiled chart and bound machine (built once, shared by calls). */
export interface PreparedAgent {
  readonly spec: AgentSpec;
  readonly compiled: CompiledAgent;
  readonly machine: AnyStateMachine;
}

/** Compiles and binds an agent once; every call of it reuses the result. */
export function prepareAgent(spec: AgentSpec, options: { sourceHash?: string } = {}): PreparedAgent {
  const compiled = compileAgent(spec, options);
  return { spec, compiled, machine: createCallMachine(compiled) };
}

/** Options of {@link createCallSession}. */
export interface CallSessionOptions {
  readonly agent: PreparedAgent;
  readonly providers: CallProviders;
  readonly transport: CallTransport;
  /** Default: the real clock. Tests pass a simulated clock. */
  readonly clock?: Clock;
  readonly callId?: string;
  /** The agent version the call runs (a registry version id): in every event and the record. */
  readonly version?: string;
}

/** A live call: push caller audio in, observe events, await the record. */
export interface CallSession {
  readonly callId: string;
  /** Starts the chart (the greeting, if any, begins at once). */
  start(): void;
  /** One 20 ms frame of caller audio. Synchronous: barge-in reactions happen before it returns. */
  pushAudio(frame: Int16Array): void;
  /** The caller (or the transport) ended the call. */
  hangup(reason?: NonNullable<CallRecord['endReason']>): void;
  /** The far end played (or dropped, at a clear) the audio up to a mark playout asked for. */
  notePlayed(report: PlayedReport): void;
  /** The caller pressed a key: a `dtmf` event and an entry in the record. */
  pressDtmf(digit: string): void;
  /** What the transport's far end said at its start: kept in the record, told as a `transport.started` event. */
  noteTransportStart(info: TransportStartInfo): void;
  /** Subscribes to call events; returns the unsubscribe function. */
  onEvent(listener: (event: CallEvent) => void): () => void;
  /** The record as it stands (complete once the call has ended). */
  readonly record: CallRecord;
  /** Resolves with the record when the call ends, however it ends (never rejects). */
  readonly done: Promise<CallRecord>;
  /** Active state paths, e.g. `active.agent.responding.speaking`. */
  states(): string[];
  /** True when the chart carries this tag (`agent-speaking`, `caller-speaking`, ...). */
  hasTag(tag: string): boolean;
  /**
   * The agent's current utterance as the caller hears it: its text, the aligned words (ms from the utterance's
   * first sample) and how far playback has got. Undefined before the first reply.
   */
  agentSpeech(): { readonly text: string; readonly words: readonly TimedWord[]; readonly heardMs: number } | undefined;
  /** The per-call behaviour (for tools and tests that need to look inside). */
  readonly controller: CallController;
}

/**
 * Creates a call: one XState actor of the agent's machine, with a {@link CallController} holding the call's
 * state. Failures inside the chart end the call with `endReason: 'error'` and the record is still produced.
 */
export function createCallSession(options: CallSessionOptions): CallSession {
  const clock = options.clock ?? realClock;
  const callId = options.callId ?? randomUUID();
  const listeners = new Set<(event: CallEvent) => void>();
  let resolveDone!: (record: CallRecord) => void;
  const done = new Promise<CallRecord>((resolve) => (resolveDone = resolve));
  const startedAtWallMs = Date.now();
  const agentName = options.agent.spec.name;
  const version = options.version;
  const isoTime = createIsoFormatter();
  let seq = 0;
  let over = false;
  const emit = (body: CallEventBody) => {
    // `call.ended` is a call's last event: the chart's own move to `ended`, which follows it, is not told.
    if (over) return;
    if (body.type === 'call.ended') over = true;
    const atSeq = seq++;
    if (listeners.size > 0) {
      // A copy, frozen: observers see the call as it was at this event, and nothing they do can change the call.
      // Object.assign onto a fresh literal, not `{ ...envelope, ...body }`: V8 spreads a second object into a
      // literal through a slow generic path (about 3 µs an event against 0.1), and a call emits 20 events a
      // second (bench:calls).
      const wallTime = isoTime(startedAtWallMs + body.atMs);
      const head = version ? { v: 2 as const, callId, agent: agentName, version, seq: atSeq, wallTime } : { v: 2 as const, callId, agent: agentName, seq: atSeq, wallTime };
      const event = Object.freeze(copyJsonInto(head, body)) as CallEvent;
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // An observer's bug must not break the call.
        }
      }
    }
    if (body.type === 'call.ended') resolveDone(body.record);
  };
  const controller = new CallController({
    callId,
    spec: options.agent.spec,
    compiled: options.agent.compiled,
    providers: options.providers,
    transport: options.transport,
    clock,
    emit,
    startedAt: new Date(startedAtWallMs).toISOString(),
    ...(options.version ? { version: options.version } : {}),
    send: (event) => actor.send(event),
    hasTag: (tag) => actor.getSnapshot().hasTag(tag),
  });
  // XState's clock takes (fn, ms) => id and clearTimeout(id); ours returns an opaque handle for the same.
  const actorClock = { setTimeout: (fn: (...args: unknown[]) => void, ms: number) => clock.setTimeout(fn, ms), clearTimeout: (id: unknown) => clock.clearTimeout(id) };
  const actor: Actor<AnyStateMachine> = createActor(options.agent.machine, { input: { controller }, clock: actorClock });
  let lastStates = '';
  let lastValue: unknown;
  actor.subscribe({
    next: (snapshot) => {
      // An event no transition took (most audio-rate events) leaves the very same value: nothing to compare.
      if (snapshot.value === lastValue) return;
      lastValue = snapshot.value;
      const states = statePaths(snapshot.value);
      const key = states.join('|');
      if (key !== lastStates) {
        lastStates = key;
        emit({ type: 'state', atMs: controller.now(), states });
      }
    },
    error: (error) => {
      controller.recordFailure('runtime', { message: (error as Error)?.message ?? String(error), retryable: false });
      controller.finish('error');
    },
  });

  return {
    callId,
    controller,
    record: controller.record,
    done,
    start() {
      controller.announceStart();
      controller.openStt();
      actor.start();
    },
    pushAudio(frame) {
      try {
        controller.pushAudio(frame);
      } catch (error) {
        controller.recordFailure('runtime', { message: (error as Error).message, retryable: false });
        controller.finish('error');
        actor.stop();
      }
    },
    hangup(reason = 'caller-hangup') {
      controller.send({ type: 'CALL.HANGUP', reason });
      controller.finish(reason);
      actor.stop();
    },
    notePlayed: (report) => controller.notePlayed(report),
    pressDtmf: (digit) => controller.pressDtmf(digit),
    noteTransportStart: (info) => controller.noteTransportStart(info),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    states: () => statePaths(actor.getSnapshot().value),
    hasTag: (tag) => actor.getSnapshot().hasTag(tag),
    agentSpeech: () => controller.replies.agentSpeech(),
  };
}

/** `{ active: { agent: 'idle', ... } }` -> `['active.agent.idle', ...]`. */
export function statePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [prefix ? `${prefix}.${value}` : value];
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => statePaths(child, prefix ? `${prefix}.${key}` : key));
  }
  return prefix ? [prefix] : [];
}
