import { randomUUID } from 'node:crypto';
import type { AgentSpec } from '../dsl/index.js';
import type { CallProviders } from '../providers/call-providers.js';
import type { CallTransport } from '../transports/types.js';
import { realClock, type Clock } from '../util/clock.js';
import { createCallSession, type CallSession, type PreparedAgent } from './call-session.js';
import type { CallRecord } from './call-record.js';
import { failedCallRecord } from './call-record.js';
import type { CallEvent } from './events.js';

/** What a provider factory is told about the call it builds for. */
export interface ProviderRequest {
  readonly spec: AgentSpec;
  readonly clock: Clock;
  /** Sample rate of the call's audio (the transport's). */
  readonly sampleRate: number;
}

/** The providers of a call, or how to build them (`createOfflineProviders`, `createProviders` with an env). */
export type ProvidersSource = CallProviders | ((request: ProviderRequest) => Promise<CallProviders>);

/** Options of {@link startCall}. */
export interface StartCallOptions {
  /** The agent, prepared once with `prepareAgent` and shared by all its calls. */
  readonly agent: PreparedAgent;
  readonly transport: CallTransport;
  /** The call's providers, or a factory. They are closed when the call ends either way. */
  readonly providers: ProvidersSource;
  /** Default: the real clock. */
  readonly clock?: Clock;
  /** Default: a random UUID. */
  readonly callId?: string;
  /** The agent version the call runs (a registry version id); in every event envelope and the record. */
  readonly version?: string;
  /** Called with every call event, from the first (`call.started`) to the last (`call.ended`). */
  readonly onEvent?: (event: CallEvent) => void;
}

/** A call started by {@link startCall}. */
export interface Call {
  readonly callId: string;
  /** The live session; undefined when the providers could not be built (the call ended at once). */
  readonly session: CallSession | undefined;
  /** Ends the call from the caller's side (as if the far end hung up). */
  hangup(): void;
  /** Resolves with the record once the call has ended and its providers are closed. Never rejects. */
  readonly done: Promise<CallRecord>;
}

/**
 * Owns one call's whole life: builds the providers (or takes them), starts the session, connects the
 * transport's far end (caller audio, played reports, DTMF, close), and when the call ends, however it ends,
 * closes every provider (sockets, WebAssembly memory) and resolves `done` with the record. `serve`, the TUI,
 * the scenario simulator and the benchmarks all start calls through it.
 *
 * Resolves once the call has started (its greeting, if any, is under way). It never rejects: providers that
 * cannot be built end the call at once with `endReason: 'error'` and a failure in the record, and the
 * transport is hung up.
 */
export async function startCall(options: StartCallOptions): Promise<Call> {
  const clock = options.clock ?? realClock;
  const callId = options.callId ?? randomUUID();
  const { transport } = options;
  let providers: CallProviders;
  try {
    providers = typeof options.providers === 'function' ? await options.providers({ spec: options.agent.spec, clock, sampleRate: transport.sampleRate }) : options.providers;
  } catch (error) {
    return failedCall(options, callId, error);
  }
  const session = createCallSession({ agent: options.agent, providers, transport, clock, callId, ...(options.version ? { version: options.version } : {}) });
  if (options.onEvent) session.onEvent(options.onEvent);
  const done = session.done.then((record) => {
    closeQuietly(providers, session);
    return record;
  });
  connectTransport(session, transport);
  session.start();
  return { callId, session, hangup: () => session.hangup('caller-hangup'), done };
}

/**
 * Connects a transport's far end to a session: caller audio, played reports, DTMF, start metadata and the end
 * of the stream. `startCall` does it for every call; a program that builds its session by hand does it once.
 */
export function connectTransport(session: CallSession, transport: CallTransport): void {
  transport.listen({
    onStart: (info) => session.noteTransportStart(info),
    onAudio: (frame) => session.pushAudio(frame),
    onPlayed: (report) => session.notePlayed(report),
    onDtmf: (digit) => session.pressDtmf(digit),
    onClose: (reason) => session.hangup(reason),
  });
}

/** Closes the providers; a provider failing to close is recorded nowhere but must not reject `done`. */
function closeQuietly(providers: CallProviders, session: CallSession): void {
  try {
    providers.close?.();
  } catch (error) {
    session.record.failures.push({ atMs: session.record.endedAtMs ?? 0, source: 'providers', message: `closing the providers failed: ${(error as Error)?.message ?? String(error)}`, retryable: false });
  }
}

/** The call that never started: its record says why, the line is released, and its events are still told. */
function failedCall(options: StartCallOptions, callId: string, error: unknown): Call {
  const message = `the call's providers could not be started: ${(error as Error)?.message ?? String(error)}`;
  const record = failedCallRecord({ callId, spec: options.agent.spec, compiled: options.agent.compiled, version: options.version, startedAt: new Date().toISOString(), message });
  try {
    options.transport.hangup('error');
  } catch {
    // The line is gone already; the record says what happened.
  }
  const version = record.agent.version;
  options.onEvent?.({ v: 2, callId, agent: record.agent.name, ...(version ? { version } : {}), seq: 0, atMs: 0, wallTime: record.startedAt, type: 'call.ended', record: structuredClone(record) });
  return { callId, session: undefined, hangup: () => {}, done: Promise.resolve(record) };
}
