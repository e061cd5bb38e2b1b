import type { BargeInRecord, CallFailure, CallRecord, TurnRecord, TurnSpans } from '../call/call-record.js';
import type { CallEventOf } from '../call/events.js';
import type { ProviderMetricKind } from '../providers/resilient.js';
import type { TransportStartInfo } from '../transports/types.js';
import type { ConversationView } from './conversation-types.js';

/*
 * The shape of what a screen shows about one call, built by `callView` from the call's events. Plain JSON
 * data: no class, no Map, no function, no `undefined` stored on purpose (absent fields are left out), so a
 * view can be sent to a browser, written to a file or compared with `toEqual` after a JSON round trip.
 */

/** The call itself: who, what, since when, and how complete our copy of its event stream is. */
export interface CallInfoView {
  /** Call id (from the first event's envelope); absent before any event. */
  readonly callId?: string;
  /** Agent name. */
  readonly agent?: string;
  /** Agent version the call runs (registry version id), when known. */
  readonly version?: string;
  /** Inference mode (`cascade`, `dualplex`, `speech-to-speech`), from `call.started`. */
  readonly mode?: string;
  /** The call's current language (from `call.started`, then each `language` switch). */
  readonly language?: string;
  /** Sample rate of the call's audio, Hz, from `call.started`. */
  readonly sampleRate?: number;
  /** ISO 8601 wall-clock time the call started (the `call.started` event's `wallTime`, else derived from the first event seen). */
  readonly startedAt?: string;
  /** What the far end said at its start (transport kind, Twilio ids, custom parameters). */
  readonly transport?: TransportStartInfo;
  /** Call time (ms since the call started) of the latest event: a UI's "now" without reading a clock. */
  readonly atMs: number;
  /** `seq` of the first event seen (above 0 when the view joined a call already running). */
  readonly firstSeq?: number;
  /** `seq` of the latest event applied; -1 before any. */
  readonly lastSeq: number;
  /** Events missed: the sum of the holes in `seq` after the first event seen. Default 0. */
  readonly missedEvents: number;
  /** Number of holes in `seq` (one hole may miss several events). Default 0. */
  readonly gaps: number;
  /** Events not applied: duplicates or late arrivals (`seq` not above `lastSeq`) and events of another call. Default 0. */
  readonly droppedEvents: number;
  /** The call is over (`call.ended` seen). */
  readonly ended: boolean;
  /** Why the call ended, once ended. */
  readonly endReason?: CallRecord['endReason'];
  /** Call time (ms) the call ended. */
  readonly endedAtMs?: number;
  /** The complete call record carried by `call.ended`. */
  readonly record?: CallRecord;
}

/**
 * The active leaf of each parallel region of the call chart, relative to the region: `agent:
 * 'responding.speaking'`, `caller: 'silent'`, `turn: 'listening'`, `language: 'en'`. A region a newer chart
 * adds appears under its own name.
 */
export interface RegionPaths {
  readonly caller?: string;
  readonly agent?: string;
  readonly turn?: string;
  readonly language?: string;
  readonly [region: string]: string | undefined;
}

/**
 * What the agent is doing, in one word for a status line: `idle` (nobody talks), `listening` (the caller
 * talks or their turn is being decided), `thinking` (a reply is on its way), `speaking`, `paused` (caller
 * speech during the reply, not yet confirmed as an interruption: playout paused, or ducked or carried on
 * when the agent's `bargeIn.onSpeechStart` says so; see the barge-in log's `reaction`), `ended`.
 */
export type AgentActivity = 'listening' | 'thinking' | 'speaking' | 'paused' | 'idle' | 'ended';

/** The chart's regions and what they mean for a status line. */
export interface RegionsView {
  /** Active leaf per region (from the latest `state` event). Empty before the first one. */
  readonly paths: RegionPaths;
  /** Derived from the regions (and `callerSpeaking`); `idle` before any state is known. */
  readonly agentActivity: AgentActivity;
  /** Call time (ms) `agentActivity` took its current value. Default 0. */
  readonly agentActivitySinceMs: number;
  /** The caller is speaking (VAD, echo-gated), from `caller.speech`. Default false. */
  readonly callerSpeaking: boolean;
}

/** One caller turn and its reply, for a latency waterfall. */
export interface TurnRow {
  /** 1-based turn number. */
  readonly index: number;
  /** Call time (ms) the turn was committed (or reported, when the commit was not seen). */
  readonly atMs: number;
  readonly userText: string;
  readonly language?: string;
  /** Call time (ms) of the end of caller speech. */
  readonly speechEndMs?: number;
  /** What decided the endpoint (`question`, `filler`, ...). */
  readonly endpointCue?: TurnRecord['endpointCue'];
  /** Step latencies, ms (empty until the turn's reply is over). */
  readonly spans: TurnSpans;
  /** How the reply ended; absent while it is in progress. */
  readonly outcome?: TurnRecord['outcome'];
  /** A preemptive draft was `kept` or `discarded`. */
  readonly draft?: TurnRecord['draft'];
  /** Model profile that answered. */
  readonly profile?: string;
  /** The profile's fallback model answered. */
  readonly fallbackUsed?: boolean;
}

/** Name of one step latency of a turn (`responseMs` is the total the caller waits). */
export type SpanName = keyof TurnSpans;

/** Running statistics of one span over the turns so far (nearest-rank percentiles). */
export interface SpanStats {
  /** Turns that measured this span. */
  readonly count: number;
  /** Median, ms; absent with no sample. */
  readonly p50Ms?: number;
  /** 95th percentile, ms; absent with no sample. */
  readonly p95Ms?: number;
  /** Every sample, ms, sorted ascending (kept so each new turn costs one insertion, not a re-sort). */
  readonly sortedMs: readonly number[];
}

/** Turns and their latency statistics. */
export interface WaterfallView {
  /** One row per turn, in turn order. */
  readonly turns: readonly TurnRow[];
  /** Running p50/p95 per span over the reported turns. */
  readonly stats: Readonly<Record<SpanName, SpanStats>>;
}

/** What playout did at a barge-in onset. */
export type BargeInReaction = 'paused' | 'ducked' | 'continued';

/** One barge-in attempt (caller speech while the agent spoke), updated as it is decided. */
export interface BargeInEntry {
  /** Call time (ms, audio time) of the first caller speech frame: identifies the attempt. */
  readonly onsetMs: number;
  /** Call time (ms) of the first event about it. */
  readonly atMs: number;
  /** The latest decision reported. */
  readonly decision: CallEventOf<'barge-in'>['decision'];
  /** What playout did at onset, once it reacted. */
  readonly reaction?: BargeInReaction;
  /** Call time (ms) playout reacted. */
  readonly reactedAtMs?: number;
  /** Onset -> playout reacted, ms. */
  readonly reactionMs?: number;
  /** Call time (ms) playout resumed (backchannel or false interruption). */
  readonly resumedAtMs?: number;
  /** Call time (ms) the interruption was confirmed. */
  readonly interruptedAtMs?: number;
  /** `interrupt` (confirmed), `backchannel`, `false`, or `pending` while undecided. */
  readonly kind: BargeInRecord['kind'];
  /** The cause: what confirmed it (words, duration, a phrase), or why a false one was not confirmed. */
  readonly reason?: string;
  /** What the caller had heard of the agent's utterance when it was cut. */
  readonly heardText?: string;
  /** What the agent meant to say. */
  readonly intendedText?: string;
}

/** One audio level sample. */
export interface LevelSample {
  /** Call time, ms. */
  readonly atMs: number;
  /** Caller's line as received, dBFS (-100: silence). */
  readonly inDb: number;
  /** Agent audio as sent, dBFS (-100: silence). */
  readonly outDb: number;
}

/** Audio levels for meters and a short waveform. */
export interface LevelsView {
  /** Latest caller level, dBFS. Default -100 (silence). */
  readonly inDb: number;
  /** Latest agent level, dBFS. Default -100 (silence). */
  readonly outDb: number;
  /** Call time (ms) of the latest sample. */
  readonly atMs?: number;
  /** The latest samples, oldest first, at most `capacity`. A new array at each sample (never changed in place). */
  readonly recent: readonly LevelSample[];
  /** Samples kept in `recent`. Default 100. */
  readonly capacity: number;
}

/** Keys the caller pressed. */
export interface DtmfView {
  /** Digits in order (`0`-`9`, `*`, `#`, `A`-`D`). Default ''. */
  readonly digits: string;
  /** Call time (ms) of the latest key. */
  readonly lastAtMs?: number;
}

/** Summary of one provider measurement kind. */
export interface ProviderMetricSummary {
  readonly provider: string;
  readonly kind: ProviderMetricKind;
  /** Measurements seen. */
  readonly count: number;
  /** Latest value (unit of its kind: ms for `ttft`/`first-audio`, a count for `error`/`retry`/`tokens`). */
  readonly last: number;
  /** Sum of the values (ms or a count). */
  readonly sum: number;
  /** Call time (ms) of the latest measurement. */
  readonly lastAtMs: number;
}

/**
 * The reducer's own bookkeeping: which lines are still being written. Part of the state so `callView` stays
 * a pure function of (state, event); not meant for display.
 */
export interface ViewCursor {
  /** Id of the caller line still receiving transcripts (closed by its commit or discard). */
  readonly callerLine?: number;
  /** Id of the agent line of the latest utterance (open or not). */
  readonly agentLine?: number;
  /** Id of the latest utterance seen (`agent.utterance`); events about older ones look their line up. */
  readonly utteranceId?: number;
}

/** Everything a screen shows about one call, built event by event by `callView`. */
export interface CallView {
  readonly call: CallInfoView;
  readonly regions: RegionsView;
  readonly conversation: ConversationView;
  readonly waterfall: WaterfallView;
  /** Barge-in attempts in onset order, one entry per attempt. */
  readonly bargeIns: readonly BargeInEntry[];
  readonly levels: LevelsView;
  readonly dtmf: DtmfView;
  /** Failures in order (provider errors, timeouts, transport problems). */
  readonly failures: readonly CallFailure[];
  /** Provider measurements by {@link providerMetricKey} (`provider:kind`). */
  readonly providerMetrics: Readonly<Record<string, ProviderMetricSummary>>;
  readonly cursor: ViewCursor;
}

/** Key of a provider measurement summary in {@link CallView.providerMetrics}. */
export function providerMetricKey(provider: string, kind: ProviderMetricKind): string {
  return `${provider}:${kind}`;
}
