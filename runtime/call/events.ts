import type { ProviderError } from '../providers/errors.js';
import type { Transcript } from '../providers/types.js';
import type { BargeInRecord, CallFailure, CallRecord, TurnRecord } from './call-record.js';

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
  | { readonly type: 'PLAYOUT.DRAINED' }
  | { readonly type: 'TURN.COMMIT' }
  | { readonly type: 'AGENT.SAY' }
  | { readonly type: 'CALL.HANGUP'; readonly reason: NonNullable<CallRecord['endReason']> };

/** What a call tells its observers (TUI, logs, the server's live feed, tests). `atMs` is call time. */
export type CallEvent =
  | { readonly type: 'state'; readonly atMs: number; readonly states: readonly string[] }
  | { readonly type: 'caller.speech'; readonly atMs: number; readonly speaking: boolean }
  | { readonly type: 'transcript'; readonly atMs: number; readonly final: boolean; readonly text: string; readonly language?: string }
  | { readonly type: 'agent.text'; readonly atMs: number; readonly delta: string }
  | { readonly type: 'agent.audio'; readonly atMs: number; readonly started: boolean }
  | { readonly type: 'barge-in'; readonly atMs: number; readonly decision: 'paused' | 'ducked' | 'continued' | 'resumed' | 'interrupted'; readonly record: BargeInRecord }
  | { readonly type: 'turn'; readonly atMs: number; readonly record: TurnRecord }
  | { readonly type: 'language'; readonly atMs: number; readonly from: string; readonly to: string }
  | { readonly type: 'failure'; readonly atMs: number; readonly failure: CallFailure }
  | { readonly type: 'ended'; readonly atMs: number; readonly record: CallRecord };
