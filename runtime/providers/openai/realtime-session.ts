/**
 * One OpenAI Realtime session: {@link RealtimeSession} methods as GA client events, GA (and beta) server events
 * as {@link RealtimeHooks} calls. See `realtime.ts` for the modes and `realtime-connection.ts` for the socket.
 */
import type { RealtimeResponseCreateParams, SessionUpdateEvent } from 'openai/resources/realtime/realtime';
import { realClock, type Clock } from '../../util/clock.js';
import { ProviderError } from '../errors.js';
import type { ChatMessage, Pcm16, RealtimeHooks } from '../types.js';
import type { OpenAiRealtimeHooks, OpenAiRealtimeSession, PendingCreate, RealtimeConnectOptions, RealtimeResponseOptions, ResolvedRealtimeConfig, ResponseState } from './realtime-types.js';
import { InputEncoder, OutputDecoder, TranscriptAligner, wireRate } from './realtime-audio.js';
import { RealtimeConnection, type InboundEvent } from './realtime-connection.js';
import { BENIGN_ERROR_CODES, errorFromServerEvent, type RealtimeServerError } from './realtime-errors.js';
import { ConversationMirror, messageItem, type ItemLike } from './realtime-history.js';
import { TranscriptAssembler, transcriptionLanguage } from './realtime-transcripts.js';

/** The server rejects commits of less audio than this ("buffer too small"). */
const MIN_COMMIT_MS = 100;
/** Metadata key carrying a response's tag. */
const TAG_KEY = 'voiceagent_tag';

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const RESPONSE_STATUSES = new Set(['completed', 'cancelled', 'failed', 'incomplete']);

/** An open OpenAI Realtime session. Created by `createOpenAiRealtime(...).connect()`. */
export class OpenAiRealtimeSessionImpl implements OpenAiRealtimeSession {
  private readonly hooks: OpenAiRealtimeHooks;
  private readonly connection: RealtimeConnection;
  private readonly encoder: InputEncoder;
  private readonly decoder: OutputDecoder | undefined;
  private readonly mirror: ConversationMirror;
  private readonly transcripts: TranscriptAssembler;
  private readonly clock: Clock;
  private readonly pendingCreates: PendingCreate[] = [];
  private readonly responses = new Map<string, ResponseState>();
  private readonly pendingCommits: string[] = [];
  /** Audio received per assistant item, in wire milliseconds (what `audio_end_ms` may not exceed). */
  private readonly itemAudioMs = new Map<string, number>();
  /** Assistant item of every response seen (responses are forgotten when done; their items are not). */
  private readonly responseItems = new Map<string, string>();
  private language: string;
  private latestAssistantItemId: string | undefined;
  private buffered = 0;
  private counter = 0;
  private lastEventAtMs = 0;
  private stallTimer: unknown;

  constructor(
    private readonly config: ResolvedRealtimeConfig,
    options: RealtimeConnectOptions,
    hooks: RealtimeHooks | OpenAiRealtimeHooks,
    initialUpdate: SessionUpdateEvent,
  ) {
    this.hooks = hooks;
    this.clock = config.clock ?? realClock;
    this.language = options.language;
    this.encoder = new InputEncoder(config.inputFormat, options.sampleRate);
    this.decoder = options.outputAudio ? new OutputDecoder(config.inputFormat, options.sampleRate) : undefined;
    this.mirror = new ConversationMirror(() => this.nextId('item'));
    this.transcripts = new TranscriptAssembler(() => this.language);
    this.connection = new RealtimeConnection({
      provider: config.id,
      client: config.client,
      model: config.model,
      ...(config.clientOptions ? { clientOptions: config.clientOptions } : {}),
      ready: Promise.all([this.encoder.ready, this.decoder?.ready]),
      onEvent: (event) => this.receive(event),
      onServerError: (error) => this.serverError(error),
      onError: (error, fatal) => this.failed(error, fatal),
    });
    this.connection.send(initialUpdate);
  }

  get bufferedAudioMs(): number {
    return this.buffered;
  }

  pushAudio(frame: Pcm16): void {
    if (this.connection.closed) return;
    this.buffered += this.encoder.durationMs(frame);
    if (this.connection.flowing) {
      this.connection.send({ type: 'input_audio_buffer.append', audio: this.encoder.encode(frame) });
      return;
    }
    // Not open yet: keep a copy (the caller reuses its frame buffer) and encode when it goes out.
    const copy = frame.slice();
    this.connection.send(() => ({ type: 'input_audio_buffer.append', audio: this.encoder.encode(copy) }));
  }

  commitAudio(): void {
    // Too little audio is an error on the server; a click is not a turn anyway.
    if (this.connection.closed || this.buffered < MIN_COMMIT_MS) return;
    const eventId = this.nextId('evt');
    this.pendingCommits.push(eventId);
    this.mirror.commitSent();
    this.buffered = 0;
    this.connection.send({ type: 'input_audio_buffer.commit', event_id: eventId });
  }

  addMessage(role: 'user' | 'assistant' | 'system', text: string): void {
    if (this.connection.closed) return;
    const id = this.nextId('item');
    this.mirror.appendOwn(id, role, text);
    this.connection.send({ type: 'conversation.item.create', item: messageItem(id, role, text) });
  }

  createResponse(options?: RealtimeResponseOptions): void {
    if (this.connection.closed) return;
    const eventId = this.nextId('evt');
    this.pendingCreates.push({ eventId, tag: options?.tag, cancelled: false });
    // The session says it too, but text assistant items (a reply restored as the words heard) are reported to
    // tip the model into answering in text only: each response states its modality.
    const response: RealtimeResponseCreateParams = { output_modalities: [this.decoder ? 'audio' : 'text'] };
    if (options?.instructions !== undefined) response.instructions = options.instructions;
    // The API takes 1..4096 (or "inf").
    if (options?.maxOutputTokens !== undefined) response.max_output_tokens = Math.min(4096, Math.max(1, Math.round(options.maxOutputTokens)));
    if (options?.tag !== undefined) response.metadata = { [TAG_KEY]: options.tag };
    this.connection.send({ type: 'response.create', event_id: eventId, response });
    this.watchForStall();
  }

  cancelResponse(responseId?: string): void {
    if (this.connection.closed) return;
    if (responseId !== undefined) {
      const response = this.responses.get(responseId);
      if (!response || response.cancelled) return;
      response.cancelled = true;
      this.connection.send({ type: 'response.cancel', response_id: responseId });
      return;
    }
    const unstarted = this.pendingCreates.filter((pending) => !pending.cancelled);
    for (const pending of unstarted) pending.cancelled = true;
    const active = [...this.responses.values()].filter((response) => !response.cancelled);
    for (const response of active) {
      response.cancelled = true;
      this.connection.send({ type: 'response.cancel', response_id: response.id });
    }
    // A response not created yet will be by the time the server reads this (events are handled in order).
    if (unstarted.length > 0) this.connection.send({ type: 'response.cancel' });
  }

  truncate(itemId: string, audioEndMs: number): void {
    const id = this.resolveItem(itemId);
    if (!this.decoder || !id || this.connection.closed) return;
    const received = this.itemAudioMs.get(id);
    // More than the item holds is an error on the server; whole milliseconds are required.
    const endMs = Math.max(0, Math.floor(received === undefined ? audioEndMs : Math.min(audioEndMs, received)));
    this.connection.send({ type: 'conversation.item.truncate', item_id: id, content_index: 0, audio_end_ms: endMs });
    this.itemAudioMs.set(id, endMs);
    // The server drops the transcript of truncated audio; what is left of the text is unknown.
    this.mirror.setText(id, undefined);
  }

  truncateText(itemId: string, heardText: string): void {
    const id = this.resolveItem(itemId);
    const index = this.mirror.items.findIndex((entry) => entry.id === id);
    if (index < 0 || this.connection.closed) return;
    const messages: ChatMessage[] = this.mirror.items.map((entry, at) => ({ role: entry.role, content: at === index ? heardText : (entry.text ?? '') }));
    // Unknown texts match anything, so only the cut item changes; a reply heard not at all goes away.
    const plan = this.mirror.plan(heardText.trim() === '' ? messages.filter((_, at) => at !== index) : messages);
    for (const event of plan) this.connection.send(event);
  }

  syncHistory(messages: readonly ChatMessage[]): void {
    if (this.connection.closed) return;
    for (const event of this.mirror.plan(messages)) this.connection.send(event);
  }

  updateInstructions(instructions: string): void {
    this.connection.send({ type: 'session.update', session: { type: 'realtime', instructions } });
  }

  setLanguage(language: string): void {
    this.language = language;
    const transcription = { model: this.config.transcriptionModel, language: transcriptionLanguage(language), ...(this.config.transcriptionPrompt ? { prompt: this.config.transcriptionPrompt } : {}) };
    this.connection.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription } } } });
  }

  assistantItemId(responseId?: string): string | undefined {
    return this.resolveItem(responseId ?? '');
  }

  close(): void {
    this.stopStallWatch();
    this.connection.close();
    this.encoder.destroy();
    this.decoder?.destroy();
  }

  private resolveItem(idOrResponseId: string): string | undefined {
    if (idOrResponseId === '') return this.latestAssistantItemId;
    return this.responses.get(idOrResponseId)?.itemId ?? this.responseItems.get(idOrResponseId) ?? idOrResponseId;
  }

  private nextId(kind: 'item' | 'evt'): string {
    return `va_${kind}_${(++this.counter).toString(36)}`;
  }

  private receive(event: InboundEvent): void {
    this.lastEventAtMs = this.clock.now();
    switch (event.type) {
      case 'input_audio_buffer.speech_started':
        return this.hooks.onSpeechStarted(num(event.audio_start_ms));
      case 'input_audio_buffer.speech_stopped':
        return this.hooks.onSpeechStopped(num(event.audio_end_ms));
      case 'input_audio_buffer.committed':
        this.buffered = 0;
        this.pendingCommits.shift();
        for (const out of this.mirror.committed(str(event.item_id), event.previous_item_id)) this.connection.send(out);
        return;
      case 'input_audio_buffer.cleared':
        this.buffered = 0;
        return;
      case 'conversation.item.added':
      case 'conversation.item.created':
        return this.mirror.added((event.item ?? {}) as ItemLike, event.previous_item_id);
      case 'conversation.item.done':
        return this.mirror.done((event.item ?? {}) as ItemLike);
      case 'conversation.item.deleted':
        return this.mirror.removed(str(event.item_id));
      case 'conversation.item.truncated':
        return this.mirror.setText(str(event.item_id), undefined);
      case 'conversation.item.input_audio_transcription.delta':
        return this.hooks.onTranscript(this.transcripts.delta(str(event.item_id), str(event.delta), event.logprobs));
      case 'conversation.item.input_audio_transcription.completed':
        this.mirror.setText(str(event.item_id), str(event.transcript));
        return this.hooks.onTranscript(this.transcripts.completed(str(event.item_id), str(event.transcript), event.logprobs));
      case 'conversation.item.input_audio_transcription.failed':
        return this.transcripts.forget(str(event.item_id));
      case 'response.created':
        return this.responseCreated((event.response ?? {}) as Record<string, unknown>);
      case 'response.output_item.added':
        return this.outputItemAdded(str(event.response_id), (event.item ?? {}) as ItemLike);
      case 'response.output_text.delta':
      case 'response.text.delta':
        return this.textDelta(event, false);
      case 'response.output_audio_transcript.delta':
      case 'response.audio_transcript.delta':
        return this.textDelta(event, true);
      case 'response.output_audio.delta':
      case 'response.audio.delta':
        return this.audioDelta(event);
      case 'response.output_text.done':
      case 'response.text.done':
        return this.mirror.setText(str(event.item_id), str(event.text));
      case 'response.done':
        return this.responseDone((event.response ?? {}) as Record<string, unknown>);
      default:
        // Unknown and uninteresting events (rate_limits.updated, content parts, ...) are ignored.
        return;
    }
  }

  private responseCreated(response: Record<string, unknown>): void {
    const id = str(response.id);
    const tag = (response.metadata as Record<string, unknown> | null | undefined)?.[TAG_KEY];
    // Match our request by its tag; untagged ones (or a server that drops metadata) in order. A tag no longer
    // pending belongs to a request already failed (stall, dropped socket): its output is not wanted.
    let pending: PendingCreate | undefined;
    let orphan = false;
    if (typeof tag === 'string') {
      const index = this.pendingCreates.findIndex((entry) => entry.tag === tag);
      if (index >= 0) pending = this.pendingCreates.splice(index, 1)[0];
      else orphan = true;
    } else {
      pending = this.pendingCreates.shift();
    }
    const aligner = this.decoder ? new TranscriptAligner(this.config.alignmentMsPerChar) : undefined;
    this.responses.set(id, { id, tag: pending?.tag, cancelled: orphan || (pending?.cancelled ?? false), ...(aligner ? { aligner } : {}) });
    this.decoder?.reset();
    this.hooks.onResponseCreated?.(id, pending?.tag);
  }

  private outputItemAdded(responseId: string, item: ItemLike): void {
    if (item.type !== 'message' || item.role !== 'assistant' || typeof item.id !== 'string') return;
    const response = this.responses.get(responseId);
    if (response) response.itemId = item.id;
    this.responseItems.set(responseId, item.id);
    this.latestAssistantItemId = item.id;
  }

  private textDelta(event: InboundEvent, transcript: boolean): void {
    const responseId = str(event.response_id);
    const delta = str(event.delta);
    // The server's item holds every delta it sent, cancelled or not: keep the copy in step.
    this.mirror.appendText(str(event.item_id), delta);
    const response = this.responses.get(responseId);
    if (response?.cancelled || delta === '') return;
    if (transcript) response?.aligner?.pushText(delta);
    this.hooks.onTextDelta(responseId, delta);
  }

  private audioDelta(event: InboundEvent): void {
    if (!this.decoder) return;
    const responseId = str(event.response_id);
    const itemId = str(event.item_id);
    const audio = str(event.delta);
    const response = this.responses.get(responseId);
    if (response?.cancelled) {
      const bytes = Buffer.byteLength(audio, 'base64');
      const wireMs = ((this.config.inputFormat === 'pcmu' ? bytes : bytes / 2) * 1000) / wireRate(this.config.inputFormat);
      this.itemAudioMs.set(itemId, (this.itemAudioMs.get(itemId) ?? 0) + wireMs);
      return;
    }
    const decoded = this.decoder.decode(audio);
    this.itemAudioMs.set(itemId, (this.itemAudioMs.get(itemId) ?? 0) + decoded.wireMs);
    const alignment = response?.aligner?.align(decoded.wireMs);
    this.hooks.onAudioDelta(responseId, alignment ? { pcm: decoded.pcm, alignment } : { pcm: decoded.pcm });
  }

  private responseDone(response: Record<string, unknown>): void {
    const id = str(response.id);
    this.responses.delete(id);
    const status = RESPONSE_STATUSES.has(str(response.status)) ? (response.status as 'completed' | 'cancelled' | 'failed' | 'incomplete') : 'failed';
    this.hooks.onResponseDone(id, status);
  }

  private serverError(error: RealtimeServerError): boolean {
    if (error.code && BENIGN_ERROR_CODES.has(error.code)) return true;
    const eventId = error.event_id ?? undefined;
    if (!eventId) return false;
    const createIndex = this.pendingCreates.findIndex((pending) => pending.eventId === eventId);
    if (createIndex >= 0) {
      const [pending] = this.pendingCreates.splice(createIndex, 1);
      this.hooks.onResponseFailed?.(pending!.tag, undefined, errorFromServerEvent(this.config.id, error));
    }
    const commitIndex = this.pendingCommits.indexOf(eventId);
    if (commitIndex >= 0) {
      this.pendingCommits.splice(commitIndex, 1);
      this.mirror.commitFailed();
    }
    return false;
  }

  private failed(error: ProviderError, fatal: boolean): void {
    if (fatal) {
      this.stopStallWatch();
      this.failResponses(error);
    }
    this.hooks.onError(error);
    if (fatal) this.hooks.onClosed?.(error);
  }

  /** Every pending and active response fails with `error`; late deltas of them are dropped. */
  private failResponses(error: ProviderError): void {
    for (const pending of this.pendingCreates.splice(0)) this.hooks.onResponseFailed?.(pending.tag, undefined, error);
    for (const response of this.responses.values()) {
      if (response.cancelled) continue;
      response.cancelled = true;
      this.hooks.onResponseFailed?.(response.tag, response.id, error);
    }
  }

  /** A response is wanted and not finished (cancelled ones are nobody's concern any more). */
  private get busy(): boolean {
    if (this.pendingCreates.some((pending) => !pending.cancelled)) return true;
    for (const response of this.responses.values()) if (!response.cancelled) return true;
    return false;
  }

  /** Arms the stall watchdog: it fires when a response is pending and the server has been silent too long. */
  private watchForStall(): void {
    if (this.stallTimer !== undefined) return;
    this.lastEventAtMs = this.clock.now();
    const check = (): void => {
      this.stallTimer = undefined;
      if (!this.busy || this.connection.closed) return;
      const silentMs = this.clock.now() - this.lastEventAtMs;
      if (silentMs < this.config.stallTimeoutMs) {
        this.stallTimer = this.clock.setTimeout(check, this.config.stallTimeoutMs - silentMs);
        return;
      }
      const error = new ProviderError({ provider: this.config.id, kind: 'timeout', message: `no server event for ${Math.round(silentMs)} ms while a response was pending` });
      const stalled = [...this.responses.values()].filter((response) => !response.cancelled);
      this.failResponses(error);
      // Ask the server to stop them too, in case it is only slow.
      for (const response of stalled) this.connection.send({ type: 'response.cancel', response_id: response.id });
      this.hooks.onError(error);
    };
    this.stallTimer = this.clock.setTimeout(check, this.config.stallTimeoutMs);
  }

  private stopStallWatch(): void {
    if (this.stallTimer !== undefined) this.clock.clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }
}
