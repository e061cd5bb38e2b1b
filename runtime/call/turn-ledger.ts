import type { TurnRecord } from './call-record.js';
import type { CallEventBody } from './events.js';

/** The answering model request of a turn, as the ledger times it (a `BufferedTokenStream` given a clock). */
export interface TimedRequest {
  /** Call time the request went out, ms; unknown for a stream without a clock (then: when the ledger heard of it). */
  readonly requestedAtMs?: number | undefined;
  /** Call time its first token arrived, ms, however much later the reply read it. */
  readonly firstTokenAtMs?: number | undefined;
}

/** When the current reply reached each step (call time, ms). */
interface ReplyTimes {
  committedAt?: number;
  /** The primary model's request: its profile, when it went out, and its stream's own times. */
  request?: { readonly profile: string; readonly atMs: number; readonly stream: TimedRequest | undefined };
  /** The fallback model was started because the primary's first token was late. */
  hedgedAt?: number;
  firstTokenAt?: number;
  firstAudioAt?: number;
}

/**
 * The call's turns: the record of each caller turn and its reply, the step times its spans are measured from,
 * and the `turn.committed` / `turn` events. One turn is current from its commit until its reply is over.
 */
export class TurnLedger {
  private turn: TurnRecord | undefined;
  private times: ReplyTimes = {};

  constructor(
    private readonly turns: TurnRecord[],
    private readonly emit: (event: CallEventBody) => void,
    private readonly now: () => number,
  ) {}

  /** The turn whose reply is under way, if any. */
  get current(): TurnRecord | undefined {
    return this.turn;
  }

  /** The turn before the newest one (the one a superseded reply answered). */
  get previous(): TurnRecord | undefined {
    return this.turns.at(-2);
  }

  /** Opens a turn for the caller's words; its reply is timed from now. */
  commit(turn: Omit<TurnRecord, 'index' | 'spans'> & { readonly sttFinalMs?: number }): TurnRecord {
    const { sttFinalMs, ...facts } = turn;
    const index = this.turns.length + 1;
    const atMs = this.now();
    this.turn = { index, ...facts, spans: { endpointingMs: atMs - facts.speechEndMs, ...(sttFinalMs !== undefined ? { sttFinalMs } : {}) } };
    this.turns.push(this.turn);
    this.times = { committedAt: atMs };
    const { userText, language, speechEndMs, endpointCue } = this.turn;
    this.emit({ type: 'turn.committed', atMs, index, userText, language, speechEndMs, ...(endpointCue ? { endpointCue } : {}) });
    return this.turn;
  }

  /** A fixed text (greeting, reprompt) is about to be spoken: it times nothing. */
  startFixedReply(): void {
    this.times = {};
  }

  /**
   * The current turn's model request is out (sent now, or a preemptive draft sent earlier and kept): `profile`
   * is the primary model's, `stream` its token stream (timed when it has a clock).
   */
  noteRequest(profile: string, stream: TimedRequest | undefined): void {
    this.times.request = { profile, atMs: stream?.requestedAtMs ?? this.now(), stream };
  }

  /** The fallback model was started alongside the primary (first-token timeout). */
  noteHedge(): void {
    this.times.hedgedAt ??= this.now();
  }

  /**
   * The reply's first token (a fixed text counts as one), from `profile`: model replies record the wait since
   * the commit and the model's own time to first token, from its request.
   */
  noteFirstToken(fromModel: boolean, profile?: string): void {
    const now = this.now();
    this.times.firstTokenAt = now;
    const { turn, times } = this;
    if (!turn || !fromModel || times.committedAt === undefined) return;
    turn.spans.llmFirstTokenMs = now - times.committedAt;
    const request = times.request;
    turn.spans.llmRequestToFirstTokenMs =
      request && (profile === undefined || profile === request.profile) ? (request.stream?.firstTokenAtMs ?? now) - request.atMs : now - (times.hedgedAt ?? times.committedAt);
  }

  /** The reply's first audio from the voice, for a model reply or a fixed text alike. */
  noteFirstAudio(): void {
    this.times.firstAudioAt = this.now();
    if (this.turn && this.times.firstTokenAt !== undefined) this.turn.spans.ttsFirstAudioMs = this.now() - this.times.firstTokenAt;
  }

  /** The reply's first frame went to the transport: what the caller waited. */
  noteFirstFrame(): void {
    const t = this.turn;
    if (t && this.times.firstAudioAt !== undefined) {
      t.spans.firstFrameOutMs = this.now() - this.times.firstAudioAt;
      t.spans.responseMs = this.now() - t.speechEndMs;
    }
  }

  /** Sets the outcome unless one is decided already. */
  decide(turn: TurnRecord | undefined, outcome: NonNullable<TurnRecord['outcome']>): void {
    if (turn && !turn.outcome) turn.outcome = outcome;
  }

  /** Sets the outcome unless one is decided already, and reports the turn when it did (its reply is over). */
  settle(turn: TurnRecord | undefined, outcome: NonNullable<TurnRecord['outcome']>): void {
    if (!turn || turn.outcome) return;
    turn.outcome = outcome;
    this.emit({ type: 'turn', atMs: this.now(), record: turn });
  }

  /** The reply was played to its end: the turn is answered (unless decided otherwise), reported, and closed. */
  complete(fallbackUsed: boolean): void {
    const turn = this.turn;
    if (turn) {
      if (fallbackUsed && turn.route) turn.route.fallbackUsed = true;
      this.decide(turn, 'answered');
      this.emit({ type: 'turn', atMs: this.now(), record: turn });
    }
    this.turn = undefined;
  }

  /** The current turn's reply failed: its record says so and is reported. */
  fail(): void {
    if (!this.turn) return;
    this.turn.outcome = 'failed';
    this.emit({ type: 'turn', atMs: this.now(), record: this.turn });
  }

  /** Closes the current turn without a report (its outcome was reported or decided elsewhere). */
  close(): void {
    this.turn = undefined;
  }
}
