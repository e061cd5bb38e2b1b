import type { ConversationEntry } from './conversation.js';
import type { EndpointCue } from './text-rules.js';

/** Step-level latencies of one caller turn, in milliseconds (absent when the step did not happen). */
export interface TurnSpans {
  /** End of caller speech -> end of turn decided. */
  endpointingMs?: number;
  /** End of caller speech -> final transcript. */
  sttFinalMs?: number;
  /** Turn committed -> first LLM token. */
  llmFirstTokenMs?: number;
  /** First LLM token -> first TTS audio. */
  ttsFirstAudioMs?: number;
  /** First TTS audio -> first frame sent to the transport. */
  firstFrameOutMs?: number;
  /** End of caller speech -> first agent frame out: what the caller waits. */
  responseMs?: number;
}

/** One caller turn and the reply to it. */
export interface TurnRecord {
  /** 1-based turn number. */
  readonly index: number;
  readonly userText: string;
  readonly language: string;
  /** Call time (ms) of the end of caller speech. */
  readonly speechEndMs: number;
  readonly endpointCue?: EndpointCue;
  /** Model profile that answered, and the routing rule (-1: default). */
  route?: { profile: string; rule: number; intents: readonly string[]; fallbackUsed?: boolean };
  /** A preemptive draft was started and kept (`kept`) or thrown away (`discarded`). */
  draft?: 'kept' | 'discarded';
  spans: TurnSpans;
  outcome?: 'answered' | 'interrupted' | 'abandoned' | 'failed' | 'hangup';
}

/** One caller barge-in attempt while the agent was speaking. */
export interface BargeInRecord {
  /** Call time (ms, audio time) of the first caller speech frame. */
  readonly onsetMs: number;
  /** Call time when playout reacted (paused, ducked or carried on). */
  reactedAtMs?: number;
  /** onset -> playout stopped (pause) or cut (duck/continue), in ms. */
  reactionMs?: number;
  /** `interrupt`: confirmed; `backchannel`: resumed after "uh-huh"; `false`: resumed after noise. */
  kind: 'interrupt' | 'backchannel' | 'false' | 'pending';
  /** What decided it: words, duration, an interrupt phrase; for a false one, why it was not confirmed, when known. */
  reason?: string;
  /** What the caller had heard of the agent's utterance when it was cut. */
  heardText?: string;
  intendedText?: string;
}

/** A failure during the call (provider error, timeout). */
export interface CallFailure {
  readonly atMs: number;
  readonly source: string;
  readonly message: string;
  readonly retryable: boolean;
}

/** Everything worth keeping about a call, produced at hang-up and also when the call fails. */
export interface CallRecord {
  readonly callId: string;
  readonly agent: { readonly name: string; readonly mode: string; readonly sourceHash?: string };
  readonly startedAtMs: number;
  endedAtMs?: number;
  endReason?: 'caller-hangup' | 'agent-hangup' | 'silence' | 'error' | 'transport-closed';
  readonly transcript: ConversationEntry[];
  readonly turns: TurnRecord[];
  readonly bargeIns: BargeInRecord[];
  readonly failures: CallFailure[];
  /** Language switches: when and to what. */
  readonly languageSwitches: { atMs: number; from: string; to: string }[];
}
