/*
 * The chart's vocabulary: every event, guard, action, delay and actor a compiled agent may name, with the
 * parameters each takes. The compiler writes names and params only through these types, and the runtime's
 * implementations (`runtime/call/machine.ts`) are typed from them, so `tsc` checks both sides of the seam: a
 * guard renamed on one side, or a parameter added on one side only, no longer compiles.
 */

/** Events the chart reacts to (their payloads are `MachineEvent` in `runtime/call/events.ts`). */
export type EventName =
  | 'CALLER.SPEECH_START'
  | 'CALLER.SPEECH_MS'
  | 'CALLER.SPEECH_END'
  | 'STT.PARTIAL'
  | 'STT.FINAL'
  | 'STT.SPEECH_START'
  | 'STT.LOST'
  | 'REPLY.FIRST_TOKEN'
  | 'REPLY.FIRST_AUDIO'
  | 'REPLY.FAILED'
  | 'REPLY.ENDED_SILENT'
  | 'PLAYOUT.DRAINED'
  | 'PLAYOUT.PLAYED'
  | 'PLAYOUT.STARVED'
  | 'PLAYOUT.FED'
  | 'TURN.COMMIT'
  | 'AGENT.SAY'
  | 'CALL.HANGUP';

/**
 * Parameters of the barge-in confirmation guard. Words that may still be backchannels of the call's language
 * (`CompiledAgent.backchannels`) never confirm.
 */
export interface ConfirmParams {
  readonly minSpeechMs: number;
  readonly minWords: number;
  readonly minConfidence: number;
  /** Wait for the recogniser's own VAD too (`bargeIn.confirm.serverVad`). Absent: do not. */
  readonly serverVad?: boolean;
}

/** Named guards and their parameters (`undefined`: the guard takes none). */
export interface GuardParams {
  speechAtLeast: { readonly ms: number };
  bargeInConfirmed: ConfirmParams;
  interruptPhraseHeard: { readonly phrases: readonly string[]; readonly minConfidence: number };
  /** The utterance is made of backchannels of the call's language (`CompiledAgent.backchannels`). */
  utteranceIsBackchannel: undefined;
  backchannelWhileAgentSpeaks: undefined;
  utteranceHeard: undefined;
  utteranceInProgress: undefined;
  finalTranscriptEmpty: undefined;
  hasFinalTranscript: undefined;
  /** The VAD still hears the caller (or the room). */
  callerStillSpeaking: undefined;
  draftWorthStarting: undefined;
  routedModelHasFallback: undefined;
  callerSilenceReachedHangup: undefined;
  /** The reply just played is the last: a goodbye, an apology, or the model asked to end the call. */
  hangupAfterReply: undefined;
  languageSwitch: { readonly to: string; readonly minConfidence: number; readonly minWords: number };
}

/** Parameters of the cut at a barge-in. */
export interface CutParams {
  readonly at: 'word-boundary' | 'immediate';
  readonly maxWordTailMs: number;
  readonly fadeMs: number;
}

/** Named actions and their parameters (`undefined`: the action takes none). */
export interface ActionParams {
  noteCallerSpeechStart: undefined;
  noteCallerSpeechEnd: undefined;
  noteBargeInOnset: undefined;
  reactToOnset: { readonly mode: 'pause' | 'duck' | 'continue'; readonly duckGainDb: number };
  resumePlayout: undefined;
  cutPlayout: CutParams;
  clearTransport: undefined;
  truncateToHeard: undefined;
  recordBargeIn: undefined;
  discardUtterance: undefined;
  queueGreeting: undefined;
  queueReply: undefined;
  completeReply: undefined;
  abandonReply: undefined;
  recordReplyFailure: undefined;
  startFallbackModel: undefined;
  recordSlowFirstToken: undefined;
  abandonStuckReply: undefined;
  abandonStalledReply: undefined;
  sayUnavailable: undefined;
  sayReprompt: undefined;
  sayGoodbyeAndHangUp: undefined;
  hangUpAfterReply: undefined;
  noteFinalTranscript: undefined;
  useLatestPartialAsFinal: undefined;
  endSpeechByWords: undefined;
  commitTurn: undefined;
  startDraft: undefined;
  cancelDraft: undefined;
  switchLanguage: { readonly to: string };
  finishCall: undefined;
}

/** Delays with a fixed value per agent (`CompiledAgent.delays`). */
export type FixedDelayName = 'falseInterruptionResumeMs' | 'sttFinalTimeoutMs' | 'endpointMaxSilenceMs' | 'replyWatchdogMs';

/** Delays the runtime computes when they start (`CompiledAgent.dynamicDelays` holds their parameters). */
export type DynamicDelayName = 'endpointDelayMs' | 'firstTokenTimeoutMs' | 'callerSilenceMs' | 'playedTimeoutMs' | 'speechStallMs';

export type DelayName = FixedDelayName | DynamicDelayName;

/** Invoked actors. */
export type ActorName = 'reply';

export type GuardName = keyof GuardParams;
export type ActionName = keyof ActionParams;

/** A reference to a named guard or action: the bare name when it takes no parameters, else `{ type, params }`. */
type RefOf<P> = { [K in keyof P]: P[K] extends undefined ? K : { readonly type: K; readonly params: P[K] } }[keyof P];

/** A guard as it appears in a compiled chart. */
export type GuardRef = RefOf<GuardParams>;

/** An action as it appears in a compiled chart. */
export type ActionRef = RefOf<ActionParams>;

/** Builds a parameterised guard reference; the parameters are checked against {@link GuardParams}. */
export function guard<K extends GuardName>(type: K, params: Exclude<GuardParams[K], undefined>): { readonly type: K; readonly params: GuardParams[K] } {
  return { type, params };
}

/** Builds a parameterised action reference; the parameters are checked against {@link ActionParams}. */
export function action<K extends ActionName>(type: K, params: Exclude<ActionParams[K], undefined>): { readonly type: K; readonly params: ActionParams[K] } {
  return { type, params };
}
