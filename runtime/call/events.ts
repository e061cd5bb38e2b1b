import type { ProviderError } from '../providers/errors.js';
import type { ProviderMetricKind } from '../providers/resilient.js';
import type { Transcript } from '../providers/types.js';
import type { TransportStartInfo } from '../transports/types.js';
import type { BargeInRecord, CallFailure, CallRecord, TurnRecord } from './call-record.js';
import type { EndpointCue } from './text-rules.js';

/** Events the call statechart consumes (from the frame pipeline, providers, playout and itself). */
export type MachineEvent =
  | { readonly type: 'CALLER.SPEECH_START'; readonly onsetMs: number }
  | { readonly type: 'CALLER.SPEECH_MS'; readonly speechMs: number }
  | { readonly type: 'CALLER.SPEECH_END'; readonly lastSpeechMs: number }
  | { readonly type: 'STT.PARTIAL'; readonly transcript: Transcript }
  | { readonly type: 'STT.FINAL'; readonly transcript: Transcript }
  /** The recogniser's own VAD heard caller speech start (`audioStartMs`: its audio time). */
  | { readonly type: 'STT.SPEECH_START'; readonly audioStartMs: number }
  /** The recogniser can hear nothing more (its connection failed for good). */
  | { readonly type: 'STT.LOST'; readonly error: ProviderError }
  | { readonly type: 'REPLY.FIRST_TOKEN'; readonly profile: string }
  | { readonly type: 'REPLY.FIRST_AUDIO' }
  | { readonly type: 'REPLY.FAILED'; readonly error: ProviderError }
  | { readonly type: 'REPLY.ENDED_SILENT' }
  /** Every frame of the reply has been sent to the transport. */
  | { readonly type: 'PLAYOUT.DRAINED' }
  /** The far end reports the reply played to its end (the utterance's end mark echoed, not dropped). */
  | { readonly type: 'PLAYOUT.PLAYED' }
  /** Playout ran out of audio mid-utterance (the voice has not said it is done). */
  | { readonly type: 'PLAYOUT.STARVED' }
  /** Audio came again after `PLAYOUT.STARVED`. */
  | { readonly type: 'PLAYOUT.FED' }
  | { readonly type: 'TURN.COMMIT' }
  | { readonly type: 'AGENT.SAY' }
  | { readonly type: 'CALL.HANGUP'; readonly reason: NonNullable<CallRecord['endReason']> };

/** Where a failure came from (the `source` of a {@link CallFailure}). */
export type FailureSource = 'stt' | 'llm' | 'tts' | 'reply' | 'watchdog' | 'transport' | 'runtime' | 'providers';

/** A recognised word as a UI shows it. */
export interface EventWord {
  readonly text: string;
  /** Recogniser confidence, 0-1. */
  readonly confidence: number;
  readonly stable: boolean;
}

/**
 * What happened, without the envelope. `atMs` is call time (ms since the call started, on the call's clock).
 * Kinds are stable names; a consumer ignores kinds it does not know.
 */
export type CallEventBody =
  /** The call started: the agent's mode and language, and what the transport said at its start. */
  | { readonly type: 'call.started'; readonly atMs: number; readonly mode: string; readonly language: string; readonly sampleRate: number }
  /** The far end's start metadata (Twilio `start`: callSid, streamSid, custom parameters). */
  | { readonly type: 'transport.started'; readonly atMs: number; readonly info: TransportStartInfo }
  /** The active states of the chart's parallel regions changed. */
  | { readonly type: 'state'; readonly atMs: number; readonly states: readonly string[] }
  /** The caller started or stopped speaking (VAD, echo-gated). */
  | { readonly type: 'caller.speech'; readonly atMs: number; readonly speaking: boolean }
  /**
   * A partial or final transcript of the caller's current utterance, with its words' confidences. `late`: the
   * recogniser's words for speech already committed or discarded (they start no turn).
   */
  | { readonly type: 'transcript'; readonly atMs: number; readonly final: boolean; readonly text: string; readonly language?: string; readonly words: readonly EventWord[]; readonly late?: boolean }
  /** The caller's speech was dropped without becoming a turn: a backchannel, noise with no words, words that were no turn. */
  | { readonly type: 'caller.discarded'; readonly atMs: number; readonly reason: 'backchannel' | 'no-words' | 'not-a-turn'; readonly text: string }
  /** The agent starts an utterance: what for, and for which turn (model replies). Its id is on every event about it. */
  | { readonly type: 'agent.utterance'; readonly atMs: number; readonly utteranceId: number; readonly purpose: 'reply' | 'greeting' | 'reprompt' | 'goodbye' | 'unavailable'; readonly turnIndex?: number }
  /** The agent's reply text as it is generated. */
  | { readonly type: 'agent.text'; readonly atMs: number; readonly utteranceId: number; readonly delta: string }
  /** The first frame of an agent utterance went out. */
  | { readonly type: 'agent.audio'; readonly atMs: number; readonly utteranceId: number; readonly started: boolean }
  /**
   * How far the caller has heard the agent's current utterance (throttled): ms into it, the characters of its
   * text heard in full words, and the word being heard (index into the utterance's words, and its text).
   */
  | { readonly type: 'agent.heard'; readonly atMs: number; readonly utteranceId: number; readonly heardMs: number; readonly heardChars: number; readonly wordIndex: number; readonly word?: string }
  /**
   * The agent's utterance was cut: the context keeps `heardText` (what the caller heard), not `intendedText`.
   * `by`: the caller barging in, a failure mid-reply, or the call ending.
   */
  | { readonly type: 'agent.cut'; readonly atMs: number; readonly utteranceId: number; readonly by: 'caller' | 'failure' | 'hangup'; readonly heardMs: number; readonly heardText: string; readonly intendedText: string }
  /** Audio levels, dBFS (-100 for silence), throttled: the caller's line as received and the agent's audio as sent. */
  | { readonly type: 'levels'; readonly atMs: number; readonly inDb: number; readonly outDb: number }
  /**
   * A barge-in attempt changed: onset paused playout, or it was decided. `dismissed`: closed without playout
   * resuming, as `false` (or `backchannel`): its utterance was dropped before playout reacted, a newer attempt
   * took over, or the reply or the call ended first; `record.reason` says which.
   */
  | { readonly type: 'barge-in'; readonly atMs: number; readonly decision: 'paused' | 'ducked' | 'continued' | 'resumed' | 'dismissed' | 'interrupted'; readonly record: BargeInRecord }
  /** The end of a caller turn was decided: its words go to the agent. */
  | { readonly type: 'turn.committed'; readonly atMs: number; readonly index: number; readonly userText: string; readonly language: string; readonly speechEndMs: number; readonly endpointCue?: EndpointCue }
  /** A turn's reply is over (answered, interrupted, abandoned, failed): its spans and outcome. */
  | { readonly type: 'turn'; readonly atMs: number; readonly record: TurnRecord }
  | { readonly type: 'language'; readonly atMs: number; readonly from: string; readonly to: string }
  /** The caller pressed a key. */
  | { readonly type: 'dtmf'; readonly atMs: number; readonly digit: string }
  /** A provider measurement (time to first token, first audio, retries, errors). */
  | { readonly type: 'provider.metric'; readonly atMs: number; readonly provider: string; readonly kind: ProviderMetricKind; readonly value: number }
  | { readonly type: 'failure'; readonly atMs: number; readonly failure: CallFailure }
  /** The call is over: the complete record. Always the last event of a call. */
  | { readonly type: 'call.ended'; readonly atMs: number; readonly record: CallRecord };

/** The envelope every call event travels in. */
export interface CallEventEnvelope {
  /** Format of the event stream. */
  readonly v: 2;
  readonly callId: string;
  /** Agent name. */
  readonly agent: string;
  /** Agent version the call runs (a registry version id), when known. */
  readonly version?: string;
  /** 0-based, gapless, per call: a consumer can tell it missed events. */
  readonly seq: number;
  /** Call time, ms. */
  readonly atMs: number;
  /** ISO 8601 wall-clock time of the event (the call's start time plus `atMs`). */
  readonly wallTime: string;
}

/**
 * What a call tells its observers (TUI, playground, `monitor`, metrics, logs, tests): a {@link CallEventBody}
 * in its {@link CallEventEnvelope}. Deep-frozen and JSON-safe: it is a copy taken when emitted, so it never
 * changes afterwards and `JSON.parse(JSON.stringify(event))` equals it.
 */
export type CallEvent = CallEventEnvelope & CallEventBody;

/** The kinds of call event. */
export type CallEventType = CallEvent['type'];

/** A call event of one kind. */
export type CallEventOf<T extends CallEventType> = Extract<CallEvent, { type: T }>;
