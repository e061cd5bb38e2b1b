/**
 * One agent utterance on the `multi-stream-input` socket: one ElevenLabs context.
 *
 * Life of a context: `init` (a single space with the voice settings) when it gets a slot on a socket, then one
 * text message per phrase as LLM tokens arrive, a keep-alive (`{text: ""}`) whenever nothing was sent for
 * `keepAliveMs` (so a slow LLM or a long tool call does not hit `inactivity_timeout`), and on `end()` the rest of
 * the text with `flush: true` followed at once by `close_context`. The server finishes a flushed context before
 * closing it and then sends `isFinal`, which becomes `onDone` (Pipecat closes contexts the same way at the end of
 * a turn so that `isFinal` follows the last audio). `cancel()` sends `close_context` alone, which stops a context
 * with no flush pending; any audio still arriving for it is dropped here.
 */
import type { Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { TtsChunk, TtsContext, TtsHooks } from '../types.js';
import { createAudioDecoder, type AudioDecoder } from './audio-decoder.js';
import type { ContextSocket, SocketContext } from './context-socket.js';
import type { PhraseChunker } from './phrase-chunker.js';
import { flushMessage, initMessage, keepAliveMessage, textMessage, type OutputPlan, type AudioServerMessage, type WireVoiceSettings } from './wire.js';

/** What a context needs from its TTS instance. */
export interface WsContextSetup {
  readonly provider: string;
  readonly id: string;
  readonly plan: OutputPlan;
  readonly hooks: TtsHooks;
  readonly clock: Clock;
  readonly keepAliveMs: number;
  readonly voiceSettings: WireVoiceSettings;
  readonly chunkLengthSchedule: readonly number[] | undefined;
  readonly chunker: PhraseChunker;
  /** Called when the context is cancelled while still waiting for a slot. */
  readonly leaveQueue: (context: WsContext) => void;
}

/** A {@link TtsContext} speaking through a {@link ContextSocket}. */
export class WsContext implements TtsContext, SocketContext {
  readonly id: string;
  private socket: ContextSocket | undefined;
  /** Phrases completed before the context had a slot. */
  private queued: string[] = [];
  private ended = false;
  /** What `end()` left in the chunker, sent with `flush: true`. */
  private lastPhrase: string | undefined;
  private closeSent = false;
  /** No hook runs once this is set (done, failed or cancelled). */
  private finished = false;
  private keepAliveTimer: unknown;
  private readonly decoder: AudioDecoder;

  constructor(private readonly setup: WsContextSetup) {
    this.id = setup.id;
    this.decoder = createAudioDecoder(setup.plan, {
      emit: (pcm, alignment) => this.emitAudio(alignment ? { pcm, alignment } : { pcm }),
      fail: (error) => this.abort(new ProviderError({ provider: setup.provider, kind: 'server', message: `the resampler could not load: ${(error as Error)?.message ?? String(error)}`, retryable: false, cause: error })),
    });
  }

  /** True while the context waits for a slot. */
  get waiting(): boolean {
    return this.socket === undefined && !this.finished;
  }

  /** Starts the context on `socket` (it has a free slot): init, then whatever was queued. */
  attachTo(socket: ContextSocket): void {
    if (this.finished || this.socket) return;
    this.socket = socket;
    socket.attach(this);
    socket.send(initMessage(this.id, this.setup.voiceSettings, this.setup.chunkLengthSchedule));
    for (const phrase of this.queued) socket.send(textMessage(this.id, phrase, false));
    this.queued = [];
    if (this.ended) this.sendEnd(socket);
    else this.armKeepAlive();
  }

  pushText(text: string): void {
    if (this.finished || this.ended || text.length === 0) return;
    const phrases = this.setup.chunker.push(text);
    if (phrases.length === 0) return;
    const { socket } = this;
    if (!socket) {
      this.queued.push(...phrases);
      return;
    }
    for (const phrase of phrases) socket.send(textMessage(this.id, phrase, false));
    this.armKeepAlive();
  }

  end(): void {
    if (this.finished || this.ended) return;
    this.ended = true;
    this.lastPhrase = this.setup.chunker.end();
    this.stopKeepAlive();
    if (this.socket) this.sendEnd(this.socket);
  }

  cancel(): void {
    if (this.finished) return;
    this.finish();
    if (!this.socket) this.setup.leaveQueue(this);
    // After end() the close is already on its way; the slot frees on isFinal.
    else if (!this.closeSent) this.socket.abandon(this.id);
  }

  handle(message: AudioServerMessage): void {
    if (this.finished) return;
    if (message.audio !== undefined || message.alignment) this.decoder.push(message.audio, message.alignment);
    if (!message.isFinal || this.finished) return;
    if (!this.ended) {
      const text = 'the server closed the context before end(); it was probably idle longer than inactivity_timeout';
      this.abort(new ProviderError({ provider: this.setup.provider, kind: 'server', message: text, retryable: true }));
      return;
    }
    this.decoder.finish(() => {
      if (this.finished) return;
      this.finish();
      try {
        this.setup.hooks.onDone();
      } catch {
        // The caller's own failure; the context is over either way.
      }
    });
  }

  fail(error: ProviderError): void {
    if (this.finished) return;
    this.finish();
    try {
      this.setup.hooks.onError(error);
    } catch {
      // As above.
    }
  }

  shutdown(): void {
    if (!this.finished) this.finish();
  }

  private sendEnd(socket: ContextSocket): void {
    socket.send(this.lastPhrase ? textMessage(this.id, this.lastPhrase, true) : flushMessage(this.id));
    socket.closeContext(this.id);
    this.closeSent = true;
  }

  private emitAudio(chunk: TtsChunk): void {
    if (this.finished) return;
    try {
      this.setup.hooks.onAudio(chunk);
    } catch (error) {
      // A hook that throws fails only its own context, never the socket's message loop.
      this.abort(ProviderError.from(this.setup.provider, error));
    }
  }

  /** Ends the context from our side with an error: the server is told to stop, the caller gets `onError`. */
  private abort(error: ProviderError): void {
    if (this.finished) return;
    const { socket, closeSent } = this;
    this.fail(error);
    if (socket && !closeSent) socket.abandon(this.id);
  }

  private finish(): void {
    this.finished = true;
    this.stopKeepAlive();
    this.decoder.destroy();
    this.queued = [];
  }

  private armKeepAlive(): void {
    this.stopKeepAlive();
    const { socket } = this;
    if (!socket || this.ended || this.finished) return;
    this.keepAliveTimer = this.setup.clock.setTimeout(() => {
      this.keepAliveTimer = undefined;
      if (this.finished || this.ended) return;
      socket.send(keepAliveMessage(this.id));
      this.armKeepAlive();
    }, this.setup.keepAliveMs);
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer !== undefined) this.setup.clock.clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = undefined;
  }
}
