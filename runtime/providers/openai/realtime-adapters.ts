/**
 * Adapters that let the cascade-shaped runtime (a {@link SpeechToText} and a {@link LanguageModel}) run on
 * OpenAI Realtime:
 *
 * - dualplex: one Realtime session per call, shared through a {@link RealtimeChannel}. The STT side streams
 *   caller audio in and gives the session's transcription deltas as partials; the LLM side turns each request
 *   into `response.create` and streams its `response.output_text.delta` tokens. Before each request the
 *   server's conversation is brought in step with the request's messages (what was said and heard), so a
 *   reply cut by a barge-in is seen by the model exactly as far as the caller heard it.
 * - cascade: {@link realtimeTranscriptionStt}, a transcription-only Realtime session as streaming STT.
 *
 * Turn-taking stays the runtime's. With `turnDetection: 'local'` the server never cuts the audio, so the
 * runtime's endpointing must end each caller turn with the STT stream's `commit()` (or the channel's
 * `commitAudio()`): that commit is what gets the turn transcribed and put in the conversation as audio.
 */
import { ProviderError } from '../errors.js';
import { takeDelta } from '../llm-deltas.js';
import { realClock, type Clock } from '../../util/clock.js';
import type { LanguageModel, LlmDelta, LlmRequest, SttHooks } from '../types.js';
import type { OpenAiRealtime, OpenAiRealtimeHooks, OpenAiRealtimeSession, RealtimeTurnDetection } from './realtime.js';
import type { RealtimeSpeechToText, RealtimeSttStream } from './realtime-transcription.js';
import { Reconnect } from './reconnect.js';

export { realtimeTranscriptionStt, type RealtimeSpeechToText, type RealtimeSttStream, type RealtimeTranscriptionSttOptions } from './realtime-transcription.js';

/** One call's Realtime session, shared by the STT and LLM adapters. */
export interface RealtimeChannel {
  readonly inference: OpenAiRealtime;
  /** The session, once opened. */
  readonly session: OpenAiRealtimeSession | undefined;
  /** Opens the session (once; later calls return it). Throws if it is open at another sample rate. */
  open(options: { readonly language: string; readonly sampleRate: number }): OpenAiRealtimeSession;
  /** Adds a listener for the session's events; returns the function that removes it. */
  subscribe(listener: ChannelListener): () => void;
  /** Ends the caller's turn (see the module comment): commits the audio since the last commit. */
  commitAudio(): void;
  /** Remembers the language so a reconnected session transcribes in it. */
  setLanguage(language: string): void;
  /** Closes the session; a later `open` starts a new one. */
  close(): void;
}

/** What a subscriber of the channel hears: the session's events, and `onLost` once it will not be reconnected. */
export type ChannelListener = Partial<OpenAiRealtimeHooks> & { onLost?(error: ProviderError): void };

/** Options of {@link createRealtimeChannel}. */
export interface RealtimeChannelOptions {
  /** Session instructions (each request's system prompt overrides them for its response). */
  readonly instructions: string;
  /** Times reconnection back-off. Default: wall clock. */
  readonly clock?: Clock;
}

/** Creates the channel of one call. Nothing is sent until it is opened. */
export function createRealtimeChannel(inference: OpenAiRealtime, options: RealtimeChannelOptions): RealtimeChannel {
  const listeners = new Set<ChannelListener>();
  let session: OpenAiRealtimeSession | undefined;
  let sampleRate = 0;
  let language = 'en';
  let closed = false;
  const connect = () => {
    // Speech-to-speech: a model created to speak must be asked for audio, or it answers in text only.
    session = inference.connect({ instructions: options.instructions, language, sampleRate, outputAudio: inference.capabilities.audioOutput }, hooks);
  };
  /**
   * The socket dropped: open a new session after a back-off (250, 500, 1000 ms; 3 attempts). Nothing of the
   * conversation is lost: the next model request synchronises the server's history with what was heard.
   * Caller audio in between is not transcribed, and each failure is reported through `onError`.
   */
  const reconnects = new Reconnect(options.clock ?? realClock, () => {
    if (closed || session) return false;
    connect();
    return true;
  });
  const reconnect = () => {
    session = undefined;
    if (!closed) reconnects.schedule();
  };
  const each = (call: (listener: ChannelListener) => void): void => {
    for (const listener of [...listeners]) call(listener);
  };
  const hooks: OpenAiRealtimeHooks = {
    onSpeechStarted: (ms) => each((l) => l.onSpeechStarted?.(ms)),
    onSpeechStopped: (ms) => each((l) => l.onSpeechStopped?.(ms)),
    onTranscript: (transcript) => each((l) => l.onTranscript?.(transcript)),
    onTextDelta: (id, delta) => each((l) => l.onTextDelta?.(id, delta)),
    onAudioDelta: (id, chunk) => each((l) => l.onAudioDelta?.(id, chunk)),
    onResponseDone: (id, status) => {
      reconnects.succeeded(); // the session works again
      each((l) => l.onResponseDone?.(id, status));
    },
    onResponseCreated: (id, tag) => each((l) => l.onResponseCreated?.(id, tag)),
    onResponseFailed: (tag, id, error) => each((l) => l.onResponseFailed?.(tag, id, error)),
    onError: (error) => {
      each((l) => l.onError?.(error));
      if (error.kind === 'network' && error.retryable && session) reconnect();
    },
    // The socket is gone: unless a reconnect is on its way, the channel can hear and answer nothing more.
    onClosed: (error) => {
      if (closed || reconnects.pending) return;
      each((l) => l.onLost?.(error));
    },
  };
  return {
    inference,
    get session() {
      return session;
    },
    open(openOptions) {
      if (session) {
        if (openOptions.sampleRate !== sampleRate) {
          throw new Error(`realtime channel: the session is already open at ${sampleRate} Hz, not ${openOptions.sampleRate} Hz; start the STT stream before the first LLM request`);
        }
        return session;
      }
      sampleRate = openOptions.sampleRate;
      language = openOptions.language;
      closed = false;
      connect();
      return session!;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    commitAudio() {
      session?.commitAudio();
    },
    setLanguage(next) {
      language = next;
    },
    close() {
      closed = true;
      reconnects.cancel();
      session?.close();
      session = undefined;
    },
  };
}

/** Dualplex STT: caller audio into the channel's session, its transcription deltas out as partials. */
export function realtimeSpeechToText(
  channel: RealtimeChannel,
  adapterOptions: {
    /**
     * Who ends the caller's turns in the channel's session. `local` (the default): the runtime's VAD, and its end
     * of speech commits the audio. `server_vad`/`semantic_vad`: the server, whose speech events are reported.
     */
    readonly turnDetection?: RealtimeTurnDetection;
  } = {},
): RealtimeSpeechToText {
  const serverVad = (adapterOptions.turnDetection ?? 'local') !== 'local';
  return {
    id: `${channel.inference.id}-stt`,
    // Realtime transcribes committed audio: words come after the caller stops, not while they speak.
    capabilities: { partials: false, wordConfidence: true, languageIdentification: false, speechEvents: serverVad },
    start(options, hooks: SttHooks): RealtimeSttStream {
      channel.open({ language: options.language, sampleRate: options.sampleRate });
      // Always the channel's current session: after a drop and reconnect, audio goes to the new one.
      const current = () => channel.session;
      const unsubscribe = channel.subscribe({
        onTranscript: (transcript) => (transcript.final ? hooks.onFinal(transcript) : hooks.onPartial(transcript)),
        onSpeechStarted: (ms) => hooks.onSpeechStarted?.(ms),
        onSpeechStopped: (ms) => hooks.onSpeechStopped?.(ms),
        onError: (error) => hooks.onError(error),
        onLost: (error) => hooks.onLost?.(error),
      });
      return {
        pushAudio: (frame) => current()?.pushAudio(frame),
        setLanguage: (language) => {
          channel.setLanguage(language);
          current()?.setLanguage(language);
        },
        commit: () => current()?.commitAudio(),
        ...(!serverVad ? { endOfSpeech: () => current()?.commitAudio() } : {}),
        close() {
          unsubscribe();
          channel.close();
        },
      };
    },
  };
}

/** A queue of deltas between hook callbacks and an async iterator; text deltas waiting together come out joined. */
class DeltaQueue {
  private readonly items: LlmDelta[] = [];
  private waiting: (() => void) | undefined;
  ended = false;
  error: ProviderError | undefined;

  push(delta: LlmDelta): void {
    if (this.ended) return;
    this.items.push(delta);
    this.wake();
  }

  end(error?: ProviderError): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    this.wake();
  }

  async next(): Promise<LlmDelta | undefined> {
    while (this.items.length === 0) {
      if (this.ended) {
        if (this.error) throw this.error;
        return undefined;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    const [delta, end] = takeDelta(this.items, 0);
    this.items.splice(0, end);
    return delta;
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

/**
 * Dualplex LLM: each request becomes one Realtime response. The first message, when it is the system prompt,
 * is sent as the response's instructions; the rest is synchronised into the conversation (the caller's turn
 * is usually there already, as committed audio); the response's text deltas are the stream. Aborting the
 * request cancels the response (`response.cancel`). A request opens the session if the STT has not.
 * `temperature` is not sent: GA Realtime responses have none.
 */
export function realtimeLanguageModel(
  channel: RealtimeChannel,
  options: {
    /** Sample rate of a session a request opens before any audio (text only), Hz. Default: 24,000. */
    readonly textOnlySampleRate?: number;
  } = {},
): LanguageModel {
  let requests = 0;
  return {
    id: `${channel.inference.id}-llm`,
    capabilities: { streaming: true },
    async *stream(request: LlmRequest): AsyncIterable<LlmDelta> {
      if (request.signal.aborted) return;
      const session = channel.session ?? channel.open({ language: request.facts?.language ?? 'en', sampleRate: options.textOnlySampleRate ?? 24000 });
      const tag = `llm_${++requests}`;
      const queue = new DeltaQueue();
      let responseId: string | undefined;
      const unsubscribe = channel.subscribe({
        onResponseCreated: (id, responseTag) => {
          if (responseTag === tag) responseId = id;
        },
        onTextDelta: (id, delta) => {
          if (id === responseId) queue.push(delta);
        },
        onResponseDone: (id, status) => {
          if (id !== responseId) return;
          // Cut short (token limit, content filter) or cancelled by us: what came is the reply.
          if (status !== 'failed') queue.end();
          else queue.end(new ProviderError({ provider: channel.inference.id, kind: 'server', message: `response ${id} failed` }));
        },
        onResponseFailed: (responseTag, _id, error) => {
          if (responseTag === tag) queue.end(error);
        },
      });
      const cancel = (): void => {
        if (queue.ended) return;
        // Not created yet: cancel whatever is pending (one response at a time per conversation anyway).
        session.cancelResponse(responseId);
        queue.end();
      };
      request.signal.addEventListener('abort', cancel, { once: true });
      try {
        const [first, ...rest] = request.messages;
        const instructions = first?.role === 'system' ? first.content : undefined;
        session.syncHistory(instructions === undefined ? request.messages : rest);
        session.createResponse({ ...(instructions !== undefined ? { instructions } : {}), maxOutputTokens: request.maxOutputTokens, tag });
        for (let delta = await queue.next(); delta !== undefined; delta = await queue.next()) yield delta;
      } finally {
        request.signal.removeEventListener('abort', cancel);
        // The consumer stopped early (or an error): the response is not wanted any more.
        cancel();
        unsubscribe();
      }
    },
  };
}
