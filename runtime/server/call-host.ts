import { randomUUID } from 'node:crypto';
import type { CallRecord } from '../call/call-record.js';
import type { CallEvent } from '../call/events.js';
import { startCall, type Call, type ProvidersSource } from '../call/start-call.js';
import { createProviders } from '../providers/lazy.js';
import { createOfflineProviders } from '../providers/local/index.js';
import type { CallTransport, TransportListener } from '../transports/types.js';
import { realClock } from '../util/clock.js';
import type { ServedAgent } from './agent-catalog.js';
import { openStreamingWav, type RecordStore, type StreamingWav } from './call-records.js';
import type { Logger } from './logger.js';
import type { ServerMetrics } from './metrics.js';

/** How a server runs its calls. */
export interface CallHostOptions {
  /** Run every agent on the offline providers (no keys). */
  readonly offline: boolean;
  /** Environment for `${env:...}` keys of real providers. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly records: RecordStore;
  /** Also write each call's stereo WAV beside its record. */
  readonly recordWav: boolean;
  readonly metrics: ServerMetrics;
  readonly log: Logger;
  /** Every event of every call (the live feed). */
  readonly onEvent?: (event: CallEvent) => void;
  /** Builds the providers of an offline call (default: `createOfflineProviders`); the server passes one that also gives a caller voice for `say`. */
  readonly offlineProviders?: ProvidersSource;
  /** After a call's record is on disk, before its admission slot is released (the fleet's records index). Errors are logged. */
  readonly onRecordWritten?: (record: CallRecord) => Promise<void> | void;
}

/** The admission slot a call was given (admission.ts): its id is the call's, and it is released once the record is written. */
export interface CallSlot {
  readonly callId: string;
  release(): Promise<void>;
}

/** What a transport-specific endpoint tells the host about a call it is starting. */
export interface CallStart {
  readonly served: ServedAgent;
  readonly transport: CallTransport;
  /** `twilio`, `websocket`: for logs and metrics. */
  readonly endpoint: string;
  /** Events of this call only (the native WebSocket sends them to its client). */
  readonly onEvent?: (event: CallEvent) => void;
  /** Providers for this call instead of the host's (the WebSocket endpoint's offline caller voice). */
  readonly providers?: ProvidersSource;
  /** The call's admission slot; the call runs under its id. */
  readonly slot?: CallSlot;
}

/**
 * Runs a server's calls: starts each through `startCall` (one owner per call), counts it in the metrics, feeds
 * its events to the live feed, writes its record (and WAV) however it ends, and knows which calls are live
 * for draining. A failure in one call is that call's: it is recorded and logged, and nothing else stops.
 */
export class CallHost {
  private readonly calls = new Map<string, { readonly call: Call; readonly agent: string }>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: CallHostOptions) {}

  /** Calls in progress. */
  get activeCalls(): number {
    return this.calls.size;
  }

  /** Starts a call; resolves with its record when it has ended and the record is on disk. Never rejects. */
  async run(start: CallStart): Promise<CallRecord> {
    const callId = start.slot?.callId ?? randomUUID();
    const agent = start.served.name;
    const log = this.options.log.with({ callId, agent, endpoint: start.endpoint });
    const { metrics } = this.options;
    const tapped = this.tap(start.transport, agent, callId);
    metrics.callStarted(agent);
    log.info('call started');
    const call = await startCall({
      agent: start.served.agent,
      transport: tapped.transport,
      providers: start.providers ?? this.providersFor(start.served),
      clock: realClock,
      callId,
      ...(start.served.version ? { version: start.served.version } : {}),
      onEvent: (event) => {
        metrics.observe(agent, event);
        if (event.type === 'failure') log.warn('call failure', { source: event.failure.source, message: event.failure.message });
        for (const listener of [start.onEvent, this.options.onEvent]) {
          try {
            listener?.(event);
          } catch (error) {
            log.error('event listener failed', { message: (error as Error)?.message });
          }
        }
      },
    });
    this.calls.set(callId, { call, agent });
    const record = await call.done;
    this.calls.delete(callId);
    tapped.close();
    metrics.callEnded(agent, record);
    try {
      const path = this.options.records.write(record);
      log.info('call ended', { endReason: record.endReason, turns: record.turns.length, record: path });
    } catch (error) {
      log.error('call record not written', { message: (error as Error)?.message });
    }
    // Only now has the call provably ended: its slot goes back after the record (and its index entry) is written.
    try {
      await this.options.onRecordWritten?.(record);
    } catch (error) {
      log.error('call record not indexed', { message: (error as Error)?.message });
    }
    await start.slot?.release();
    if (this.calls.size === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    return record;
  }

  /** Resolves once no call is in progress. */
  whenIdle(): Promise<void> {
    return this.calls.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Ends every call in progress (shutdown past the drain timeout). The server hangs up, so each record says
   * `agent-hangup` and the line is released (a Twilio stream closed, so Twilio ends the call), not
   * `caller-hangup`, which would blame the caller and leave the stream open.
   */
  hangUpAll(): void {
    for (const { call } of this.calls.values()) {
      if (call.session) call.session.hangup('agent-hangup');
      else call.hangup();
    }
  }

  private providersFor(served: ServedAgent): ProvidersSource {
    if (this.options.offline) return this.options.offlineProviders ?? (({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate }));
    return ({ spec, clock, sampleRate }) => createProviders(spec, { env: this.options.env, agentFile: served.file, clock, sampleRate });
  }

  /**
   * Wraps a transport to see its audio both ways: late outbound frames are counted, and with `recordWav` both
   * sides go to a streaming WAV on one timeline (a caller frame, and the agent audio sent during it).
   */
  private tap(transport: CallTransport, agent: string, callId: string): { transport: CallTransport; close(): void } {
    const { metrics } = this.options;
    let wav: StreamingWav | undefined;
    if (this.options.recordWav) {
      try {
        wav = openStreamingWav(this.options.records.wavPath({ callId, startedAt: new Date().toISOString() }), transport.sampleRate);
      } catch (error) {
        this.options.log.error('call WAV not opened', { callId, message: (error as Error)?.message });
      }
    }
    const frameSamples = transport.sampleRate / 50;
    let agentAudio: Int16Array = new Int16Array(0);
    let lastSendAt = 0;
    const tapped: CallTransport = {
      get sampleRate() {
        return transport.sampleRate;
      },
      get reportsPlayback() {
        return transport.reportsPlayback;
      },
      sendAudio(frame) {
        const now = performance.now();
        // Frames of one utterance come every 20 ms; a gap of 30-100 ms is a late frame (longer: a new utterance).
        if (lastSendAt > 0 && now - lastSendAt > 30 && now - lastSendAt < 100) metrics.lateFrame(agent);
        lastSendAt = now;
        if (wav) agentAudio = concat(agentAudio, frame);
        transport.sendAudio(frame);
      },
      clear: () => transport.clear(),
      mark: (name) => transport.mark(name),
      bufferedMs: () => transport.bufferedMs(),
      hangup: (reason) => transport.hangup(reason),
      listen(listener: TransportListener) {
        transport.listen({
          ...listener,
          onAudio: (frame) => {
            if (wav) {
              wav.write(frame, agentAudio.subarray(0, frameSamples));
              agentAudio = agentAudio.length > frameSamples ? agentAudio.slice(frameSamples) : new Int16Array(0);
            }
            listener.onAudio(frame);
          },
        });
      },
    };
    return { transport: tapped, close: () => wav?.close() };
  }
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
