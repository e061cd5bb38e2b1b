import type { CompiledAgent } from '../compiler/index.js';
import type { AgentSpec } from '../dsl/index.js';
import type { TransportStartInfo } from '../transports/types.js';
import type { ConversationEntry } from './conversation.js';
import type { EndpointCue } from './text-rules.js';

/**
 * Step-level latencies of one caller turn, in milliseconds (absent when the step did not happen), as the
 * runtime sees them: "end of caller speech" is where the runtime placed it (its VAD or recogniser), and the
 * last step is the first frame handed to the transport. What the caller lives also holds the runtime's error
 * on the speech end and the transport's playout delay; `voiceagent test` measures both (its `heard` figures).
 * Along a turn: `endpointingMs + llmFirstTokenMs + ttsFirstAudioMs + firstFrameOutMs = responseMs`.
 */
export interface TurnSpans {
  /** End of caller speech -> end of turn decided (the commit). */
  endpointingMs?: number;
  /** End of caller speech -> final transcript. */
  sttFinalMs?: number;
  /**
   * Turn committed -> the reply's first model token: how long the caller waited on the model after the commit.
   * Near 0 when a kept preemptive draft had its tokens ready; `llmRequestToFirstTokenMs` then says how fast the
   * model really was.
   */
  llmFirstTokenMs?: number;
  /**
   * The answering request sent -> its first token arrived: the model's own time to first token, on every model
   * turn. From the preemptive draft's request when a draft was kept (it went out before the commit, so this can
   * exceed `llmFirstTokenMs`); from the commit for a request sent then; from the hedge for a fallback model that
   * won after the first-token timeout (from the commit when it took over from a failed primary).
   */
  llmRequestToFirstTokenMs?: number;
  /** The reply's first text given to the voice (its first model token, or a fixed text) -> the voice's first audio. */
  ttsFirstAudioMs?: number;
  /**
   * First audio from the voice -> first frame handed to the transport: the runtime's own step. Playout sends
   * the first frame in the same tick as the first audio, by design, so this is 0 on a simulated clock and well
   * under a millisecond on a real one. It is not the transport's playout delay (network, jitter buffer), which
   * the runtime cannot see; `voiceagent test` measures that as `playout`.
   */
  firstFrameOutMs?: number;
  /** End of caller speech (as the runtime placed it) -> first agent frame handed to the transport. */
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
  /** The caller's echo path as the echo handler measured it, set when the call ends; absent with `echo.mode: off`. */
  echo?: EchoPathRecord;
}

/** What the echo handler learnt on a call about our own voice coming back down the line. */
export interface EchoPathRecord {
  /**
   * Echo delay measured on the call (send -> echo back, a multiple of 20 ms, 0-1000), in milliseconds: the
   * delay the gate was last sized around. Absent when no delay was trusted (no echo heard, a line too
   * noisy, or too little agent audio); the gate then covered paths up to 800 ms (or `echo.tailMs`).
   */
  readonly delayMs?: number;
  /** Echo return loss assumed at the end (how far the echo sits below our audio), in dB; 6 if never measured. */
  readonly erlDb: number;
}

/** What a new call's record starts from. */
export interface NewCallRecord {
  readonly callId: string;
  readonly spec: AgentSpec;
  readonly compiled: CompiledAgent;
  readonly version: string | undefined;
  readonly startedAt: string;
  /** The conversation's entries (the record's transcript is the live conversation). */
  readonly transcript?: ConversationEntry[];
}

/** An empty record for a call starting now. */
export function newCallRecord(options: NewCallRecord): CallRecord {
  const { sourceHash } = options.compiled.agent;
  return {
    callId: options.callId,
    agent: { name: options.spec.name, mode: options.spec.inference.mode, ...(sourceHash ? { sourceHash } : {}), ...(options.version ? { version: options.version } : {}) },
    startedAt: options.startedAt,
    startedAtMs: 0,
    transcript: options.transcript ?? [],
    turns: [],
    bargeIns: [],
    failures: [],
    languageSwitches: [],
    dtmf: [],
  };
}

/** The record of a call that ended before it could start (its providers could not be built). */
export function failedCallRecord(options: NewCallRecord & { readonly message: string }): CallRecord {
  const record = newCallRecord(options);
  record.endedAtMs = 0;
  record.endReason = 'error';
  record.failures.push({ atMs: 0, source: 'providers', message: options.message, retryable: false });
  return record;
}
