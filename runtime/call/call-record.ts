import type { CompiledAgent } from '../compiler/index.js';
import type { AgentSpec } from '../dsl/index.js';
import type { TransportStartInfo } from '../transports/types.js';
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
  /** Where it came from: a provider (`stt`, `llm`, `tts`), the `reply`, the `watchdog`, the `transport`, the `runtime`, the `providers` at start. */
  readonly source: 'stt' | 'llm' | 'tts' | 'reply' | 'watchdog' | 'transport' | 'runtime' | 'providers';
  readonly message: string;
  readonly retryable: boolean;
}

/** Everything worth keeping about a call, produced at hang-up and also when the call fails. */
export interface CallRecord {
  readonly callId: string;
  /** The agent: name, inference mode, hash of its source file, and the registry version the call ran. */
  readonly agent: { readonly name: string; readonly mode: string; readonly sourceHash?: string; readonly version?: string };
  /** ISO 8601 wall-clock time the call started. */
  readonly startedAt: string;
  /** Call time of the start: always 0 (every other `...Ms` time in the record counts from it). */
  readonly startedAtMs: number;
  endedAtMs?: number;
  endReason?: 'caller-hangup' | 'agent-hangup' | 'silence' | 'error' | 'transport-closed';
  readonly transcript: ConversationEntry[];
  readonly turns: TurnRecord[];
  readonly bargeIns: BargeInRecord[];
  readonly failures: CallFailure[];
  /** Language switches: when and to what. */
  readonly languageSwitches: { atMs: number; from: string; to: string }[];
  /** Keys the caller pressed (DTMF), in order. */
  readonly dtmf: { atMs: number; digit: string }[];
  /** What the transport's far end said at the start (Twilio: callSid, streamSid, custom parameters). */
  transport?: TransportStartInfo;
}

/** The record of a call that ended before it could start (its providers could not be built). */
export function failedCallRecord(options: {
  readonly callId: string;
  readonly spec: AgentSpec;
  readonly compiled: CompiledAgent;
  readonly version: string | undefined;
  readonly startedAt: string;
  readonly message: string;
}): CallRecord {
  const { sourceHash } = options.compiled.agent;
  return {
    callId: options.callId,
    agent: { name: options.spec.name, mode: options.spec.inference.mode, ...(sourceHash ? { sourceHash } : {}), ...(options.version ? { version: options.version } : {}) },
    startedAt: options.startedAt,
    startedAtMs: 0,
    endedAtMs: 0,
    endReason: 'error',
    transcript: [],
    turns: [],
    bargeIns: [],
    failures: [{ atMs: 0, source: 'providers', message: options.message, retryable: false }],
    languageSwitches: [],
    dtmf: [],
  };
}
