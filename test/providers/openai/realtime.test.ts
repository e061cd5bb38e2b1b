// The OpenAI Realtime adapter against a mock server that speaks GA events over TLS on 127.0.0.1 and checks
// every client event it receives. Each test drives one session the way a call would: audio in (mu-law for
// telephony, PCM 24 kHz otherwise), commits and responses, barge-in (cancel, truncate, history as heard),
// speech-to-speech audio out, and the faults a real socket meets. The mock's violations must stay empty.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeMulaw, encodeMulaw } from '../../../runtime/audio/g711.js';
import { resample } from '../../../runtime/audio/resampler.js';
import type { ProviderError } from '../../../runtime/providers/errors.js';
import { createRealtimeChannel, realtimeLanguageModel, realtimeSpeechToText, realtimeTranscriptionStt } from '../../../runtime/providers/openai/realtime-adapters.js';
import { createOpenAiRealtime, type OpenAiRealtimeHooks, type OpenAiRealtimeOptions, type OpenAiRealtimeSession } from '../../../runtime/providers/openai/realtime.js';
import { ConversationMirror } from '../../../runtime/providers/openai/realtime-history.js';
import { realtimeVoice } from '../../../runtime/providers/openai/realtime-voice.js';
import type { ChatMessage, LlmDelta, TtsChunk, Transcript } from '../../../runtime/providers/types.js';
import { startMockRealtimeServer, tone, type MockConnection, type MockRealtimeServer, type MockReplyContext } from '../../mocks/openai-realtime-server.js';

let server: MockRealtimeServer;

beforeAll(async () => {
  server = await startMockRealtimeServer();
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  expect(server.violations).toEqual([]);
  server.violations.length = 0;
  server.script = {};
});

/** Everything a session reported, in order. */
function recorder() {
  const events: string[] = [];
  const transcripts: Transcript[] = [];
  const text = new Map<string, string>();
  const audio: Array<{ responseId: string; chunk: TtsChunk }> = [];
  const done = new Map<string, string>();
  const errors: ProviderError[] = [];
  const failed: Array<{ tag: string | undefined; error: ProviderError }> = [];
  const created: Array<{ id: string; tag: string | undefined }> = [];
  const hooks: OpenAiRealtimeHooks = {
    onSpeechStarted: (ms) => events.push(`speech-started ${ms}`),
    onSpeechStopped: (ms) => events.push(`speech-stopped ${ms}`),
    onTranscript: (transcript) => transcripts.push(transcript),
    onTextDelta: (id, delta) => text.set(id, (text.get(id) ?? '') + delta),
    onAudioDelta: (responseId, chunk) => audio.push({ responseId, chunk }),
    onResponseDone: (id, status) => done.set(id, status),
    onError: (error) => errors.push(error),
    onResponseCreated: (id, tag) => created.push({ id, tag }),
    onResponseFailed: (tag, _id, error) => failed.push({ tag, error }),
  };
  return { hooks, events, transcripts, text, audio, done, errors, failed, created };
}

function realtime(options: Partial<OpenAiRealtimeOptions> = {}) {
  return createOpenAiRealtime({
    apiKey: server.apiKey,
    baseURL: server.baseURL,
    model: 'gpt-realtime',
    transcriptionModel: 'gpt-4o-transcribe',
    turnDetection: 'local',
    outputAudio: false,
    inputFormat: 'pcmu',
    clientOptions: { ca: server.ca },
    ...options,
  });
}

/** Opens a session and waits until the mock has its connection and the first session.update. */
async function open(options: Partial<OpenAiRealtimeOptions> = {}, connect: { sampleRate?: number; outputAudio?: boolean; language?: string } = {}) {
  const before = server.connections.length;
  const record = recorder();
  const session = realtime(options).connect(
    { instructions: 'You are a booking assistant.', language: connect.language ?? 'en-US', sampleRate: connect.sampleRate ?? 8000, outputAudio: connect.outputAudio ?? false },
    record.hooks,
  );
  await vi.waitFor(() => expect(server.connections[before]?.received.length).toBeGreaterThan(0));
  return { session, record, mock: server.connections[before]! };
}

const received = (mock: MockConnection, type: string) => mock.received.filter((event) => event.type === type);
const sentByServer = (mock: MockConnection, type: string) => mock.sent.filter((event) => event.type === type);

/** 20 ms frames of a 300 Hz tone (loud) or silence at `rate`. */
function frames(count: number, rate: number, loud = true): Int16Array[] {
  const size = (rate * 20) / 1000;
  return Array.from({ length: count }, (_, f) => Int16Array.from({ length: size }, (_, i) => (loud ? Math.round(9000 * Math.sin((2 * Math.PI * 300 * (f * size + i)) / rate)) : 0)));
}

async function speak(session: OpenAiRealtimeSession, mock: MockConnection, ms = 400, rate = 8000): Promise<void> {
  for (const frame of frames(ms / 20, rate)) session.pushAudio(frame);
  await vi.waitFor(() => expect(received(mock, 'input_audio_buffer.append')).toHaveLength(ms / 20));
}

describe('OpenAI Realtime session', () => {
  it('connects with the bearer key and sends a GA session.update for dualplex (text out, our own turn-taking)', async () => {
    const { session, mock } = await open();
    expect(mock.url.pathname).toBe('/v1/realtime');
    expect(mock.url.searchParams.get('model')).toBe('gpt-realtime');
    expect(mock.headers.authorization).toBe(`Bearer ${server.apiKey}`);
    expect(mock.received[0]).toEqual({
      type: 'session.update',
      session: {
        type: 'realtime',
        model: 'gpt-realtime',
        output_modalities: ['text'],
        instructions: 'You are a booking assistant.',
        audio: { input: { format: { type: 'audio/pcmu' }, transcription: { model: 'gpt-4o-transcribe', language: 'en' }, turn_detection: null } },
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    await vi.waitFor(() => expect(sentByServer(mock, 'session.updated')).toHaveLength(1));
    session.close();
  });

  it('asks server VAD for speech events only: it neither answers nor interrupts; speech-to-speech sets voice and format', async () => {
    const { session, mock } = await open({ turnDetection: 'server_vad', outputAudio: true, voice: 'marin', inputFormat: 'pcm24k' }, { outputAudio: true, sampleRate: 24000 });
    const update = mock.received[0] as { session: Record<string, any> };
    expect(update.session.output_modalities).toEqual(['audio']);
    expect(update.session.audio.input.turn_detection).toEqual({ type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500, create_response: false, interrupt_response: false });
    expect(update.session.audio.output).toEqual({ format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin' });
    session.close();
  });

  it('streams telephony audio as mu-law at 8 kHz, frames queued before the socket opened included, in order', async () => {
    const record = recorder();
    const before = server.connections.length;
    const session = realtime().connect({ instructions: 'x', language: 'en', sampleRate: 8000, outputAudio: false }, record.hooks);
    const sent = frames(10, 8000);
    for (const frame of sent) session.pushAudio(frame); // the socket is not open yet
    const mock = await vi.waitFor(() => {
      const connection = server.connections[before];
      expect(connection && received(connection, 'input_audio_buffer.append')).toHaveLength(10);
      return connection!;
    });
    const appended = received(mock, 'input_audio_buffer.append').map((event) => Buffer.from(event.audio as string, 'base64'));
    expect(appended.map((bytes) => bytes.length)).toEqual(Array(10).fill(160));
    expect(appended.map((bytes) => [...bytes])).toEqual(sent.map((frame) => [...encodeMulaw(frame)]));
    expect(mock.received[0]!.type).toBe('session.update');
    expect(session.bufferedAudioMs).toBe(200);
    session.close();
  });

  it('streams PCM16 at 24 kHz, resampled from the session rate, 20 ms in giving 20 ms out', async () => {
    const { session, mock } = await open({ inputFormat: 'pcm24k' }, { sampleRate: 8000 });
    const input = frames(10, 8000);
    await speak(session, mock, 200);
    const bytes = received(mock, 'input_audio_buffer.append').map((event) => Buffer.from(event.audio as string, 'base64'));
    expect(bytes.map((chunk) => chunk.length)).toEqual(Array(10).fill(960));
    // Same samples as a one-shot resample, allowing for the streaming filter's delay.
    const streamed = new Int16Array(Buffer.concat(bytes).buffer.slice(0));
    const whole = await resample(Int16Array.from(input.flatMap((frame) => [...frame])), { fromRate: 8000, toRate: 24000 });
    const rms = (values: Int16Array) => Math.sqrt(values.reduce((sum, v) => sum + v * v, 0) / values.length);
    expect(rms(streamed.subarray(480))).toBeCloseTo(rms(whole.subarray(480)), -2);
    session.close();
  });

  it('commit + response.create: transcription deltas as partials, then text deltas as the token stream', async () => {
    server.script = { transcripts: ['I would like a table for two'], reply: 'Of course. For what time?' };
    const { session, record, mock } = await open();
    await speak(session, mock);
    session.commitAudio();
    await vi.waitFor(() => expect(record.transcripts.at(-1)?.final).toBe(true));
    session.createResponse({ instructions: 'Be brief.', tag: 'turn-1' });
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    const [{ id, tag }] = record.created as [{ id: string; tag: string }];
    expect(tag).toBe('turn-1');
    expect(record.text.get(id)).toBe('Of course. For what time?');
    expect(received(mock, 'input_audio_buffer.commit')).toHaveLength(1);
    // Each response states its modality (text in dualplex), not only the session.
    expect(received(mock, 'response.create')[0]).toMatchObject({ response: { output_modalities: ['text'], instructions: 'Be brief.', metadata: { voiceagent_tag: 'turn-1' } } });
    // Partials grow word by word; the final one is the whole utterance, every word stable.
    const partials = record.transcripts.filter((t) => !t.final);
    expect(partials.map((t) => t.text)).toEqual(['I', 'I would', 'I would like', 'I would like a', 'I would like a table', 'I would like a table for', 'I would like a table for two']);
    expect(partials[2]!.words.map((w) => w.stable)).toEqual([true, true, false]);
    const final = record.transcripts.at(-1)!;
    expect(final.text).toBe('I would like a table for two');
    expect(final.language).toBe('en-US');
    expect(final.words.every((w) => w.stable)).toBe(true);
    // Logprobs of -0.05 per token: one token a word here.
    expect(final.words[0]!.confidence).toBeCloseTo(Math.exp(-0.05), 6);
    expect(record.errors).toEqual([]);
    session.close();
  });

  it('does not commit less than 100 ms of audio (the server would reject it)', async () => {
    const { session, record, mock } = await open();
    await speak(session, mock, 60);
    session.commitAudio();
    session.updateInstructions('New instructions.');
    await vi.waitFor(() => expect(sentByServer(mock, 'session.updated')).toHaveLength(2));
    expect(received(mock, 'input_audio_buffer.commit')).toHaveLength(0);
    expect(received(mock, 'session.update')[1]).toEqual({ type: 'session.update', session: { type: 'realtime', instructions: 'New instructions.' } });
    expect(record.errors).toEqual([]);
    session.close();
  });

  it('cancel mid-response: response.cancel with its id, response.done cancelled, no delta after the cancel', async () => {
    server.script = { reply: 'Our opening hours are nine to five on weekdays and ten to four on Saturdays.', deltaIntervalMs: 15 };
    const { session, record, mock } = await open();
    session.createResponse();
    await vi.waitFor(() => expect(record.text.size).toBe(1));
    const [id] = [...record.text.keys()] as [string];
    session.cancelResponse();
    const atCancel = record.text.get(id);
    await vi.waitFor(() => expect(record.done.get(id)).toBe('cancelled'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(record.text.get(id)).toBe(atCancel);
    expect(received(mock, 'response.cancel')).toEqual([{ type: 'response.cancel', response_id: id }]);
    const doneEvent = sentByServer(mock, 'response.done')[0] as { response: { status: string; status_details: unknown } };
    expect(doneEvent.response.status_details).toEqual({ type: 'cancelled', reason: 'client_cancelled' });
    session.cancelResponse(); // nothing active: nothing sent, no error
    expect(received(mock, 'response.cancel')).toHaveLength(1);
    expect(record.errors).toEqual([]);
    session.close();
  });

  it('speech-to-speech: audio deltas arrive as PCM at the call rate, with the transcript as approximate alignment', async () => {
    server.script = { reply: 'Hello there, welcome.', audioMsPerToken: 100 };
    const { session, record, mock } = await open({ outputAudio: true, inputFormat: 'pcm24k' }, { outputAudio: true, sampleRate: 24000 });
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    expect(received(mock, 'response.create')[0]).toMatchObject({ response: { output_modalities: ['audio'] } });
    // One 100 ms chunk per token: "Hello", " there", ",", " welcome", "." -- the very samples the server sent.
    expect(record.audio.map(({ chunk }) => chunk.pcm.length)).toEqual([2400, 2400, 2400, 2400, 2400]);
    record.audio.forEach(({ chunk }, index) => expect([...chunk.pcm]).toEqual([...new Int16Array(tone(100, false, index * 2400).buffer.slice(0))]));
    // Characters laid at 70 ms each, never past the audio received: 500 ms hold "Hello th".
    expect(record.audio.map(({ chunk }) => chunk.alignment?.chars.join('') ?? '').join('')).toBe('Hello th');
    for (const { chunk } of record.audio) for (const start of chunk.alignment?.startMs ?? []) expect(start).toBeGreaterThanOrEqual(0), expect(start).toBeLessThan(100);
    // The audio transcript is also the text of the reply.
    expect([...record.text.values()]).toEqual(['Hello there, welcome.']);
    session.close();
  });

  it('speech-to-speech over telephony: mu-law deltas decoded to PCM at 8 kHz', async () => {
    server.script = { reply: 'Hi.', audioMsPerToken: 100 };
    const { session, record, mock } = await open({ outputAudio: true, inputFormat: 'pcmu' }, { outputAudio: true, sampleRate: 8000 });
    expect((mock.received[0] as { session: Record<string, any> }).session.audio.output).toEqual({ format: { type: 'audio/pcmu' } });
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    expect(record.audio.map(({ chunk }) => [...chunk.pcm])).toEqual([0, 800].map((phase) => [...decodeMulaw(tone(100, true, phase))]));
    session.close();
  });

  it('truncate sends the heard audio_end_ms for the reply audio item, never more than the audio received', async () => {
    server.script = { reply: 'One two three four five.', audioMsPerToken: 120 };
    const { session, record, mock } = await open({ outputAudio: true, inputFormat: 'pcm24k' }, { outputAudio: true, sampleRate: 24000 });
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    const [responseId] = [...record.done.keys()] as [string];
    const itemId = session.assistantItemId(responseId)!;
    expect(itemId).toBe((sentByServer(mock, 'response.output_item.added')[0] as { item: { id: string } }).item.id);
    session.truncate(responseId, 250.6);
    session.truncate(itemId, 5000); // more than is left after the first cut
    await vi.waitFor(() => expect(sentByServer(mock, 'conversation.item.truncated')).toHaveLength(2));
    expect(received(mock, 'conversation.item.truncate')).toEqual([
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 250 },
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: 250 },
    ]);
    expect(record.errors).toEqual([]);
    session.close();
  });

  it('a text-output session sends no audio truncate: the heard text replaces the reply instead', async () => {
    server.script = { reply: 'We are open nine to five on weekdays.' };
    const { session, record, mock } = await open();
    session.addMessage('user', 'When are you open?');
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    session.truncate('', 800);
    session.truncateText('', 'We are open nine');
    await vi.waitFor(() => expect(mock.conversation.map((item) => item.content[0]!.text)).toEqual(['When are you open?', 'We are open nine']));
    expect(received(mock, 'conversation.item.truncate')).toEqual([]);
    expect(received(mock, 'conversation.item.create')[0]).toMatchObject({ item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'When are you open?' }] } });
    expect(received(mock, 'conversation.item.create')[1]).toMatchObject({ previous_item_id: mock.conversation[0]!.id, item: { role: 'assistant', content: [{ type: 'output_text', text: 'We are open nine' }] } });
    session.close();
  });

  it('ignores unknown events and survives a hook that throws (reported, not an uncaught exception)', async () => {
    const { session, record, mock } = await open();
    mock.send({ type: 'something.brand_new', payload: { x: 1 } });
    mock.send({ type: 'rate_limits.updated', rate_limits: [] });
    record.hooks.onSpeechStarted = () => {
      throw new Error('hook bug');
    };
    mock.send({ type: 'input_audio_buffer.speech_started', audio_start_ms: 20, item_id: 'item_x' });
    await vi.waitFor(() => expect(record.errors).toHaveLength(1));
    expect(record.errors[0]).toMatchObject({ kind: 'protocol', retryable: false });
    expect(record.errors[0]!.message).toContain('input_audio_buffer.speech_started');
    session.close();
  });
});

describe('OpenAI Realtime compatibility', () => {
  it('accepts the beta names of output events', async () => {
    const { session, record, mock } = await open({ outputAudio: true, inputFormat: 'pcmu' }, { outputAudio: true, sampleRate: 8000 });
    mock.send({ type: 'response.text.delta', response_id: 'resp_b', item_id: 'item_b', output_index: 0, content_index: 0, delta: 'Hi' });
    mock.send({ type: 'response.audio_transcript.delta', response_id: 'resp_b', item_id: 'item_b', output_index: 0, content_index: 0, delta: ' there' });
    mock.send({ type: 'response.audio.delta', response_id: 'resp_b', item_id: 'item_b', output_index: 0, content_index: 0, delta: tone(20, true).toString('base64') });
    await vi.waitFor(() => expect(record.audio).toHaveLength(1));
    expect(record.text.get('resp_b')).toBe('Hi there');
    expect(record.audio[0]!.chunk.pcm).toHaveLength(160);
    session.close();
  });

  it('closing while still connecting reports nothing', async () => {
    const record = recorder();
    const session = realtime().connect({ instructions: '', language: 'en', sampleRate: 8000, outputAudio: false }, record.hooks);
    session.pushAudio(frames(1, 8000)[0]!);
    session.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(record.errors).toEqual([]);
  });
});

describe('OpenAI Realtime faults', () => {
  it('a socket closed mid-response fails the response with a retryable network error', async () => {
    server.script = { reply: 'One two three four.', fault: { kind: 'close', afterDeltas: 2 } };
    const { session, record } = await open();
    session.createResponse({ tag: 'r1' });
    await vi.waitFor(() => expect(record.errors).toHaveLength(1));
    expect(record.errors[0]).toMatchObject({ name: 'ProviderError', kind: 'network', retryable: true });
    expect(record.errors[0]!.message).toContain('1011');
    expect(record.failed.map((f) => f.tag)).toEqual(['r1']);
    session.pushAudio(frames(1, 8000)[0]!); // a dead session ignores calls
    session.close();
  });

  it('an error event mid-response: retryable server error, response.done failed', async () => {
    server.script = { reply: 'One two three four.', fault: { kind: 'error', afterDeltas: 1 } };
    const { session, record } = await open();
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['failed']));
    expect(record.errors).toHaveLength(1);
    expect(record.errors[0]).toMatchObject({ kind: 'server', retryable: true });
    session.close();
  });

  it('a server that stalls mid-response times out (retryable) after stallTimeoutMs', async () => {
    server.script = { reply: 'One two three four.', fault: { kind: 'stall', afterDeltas: 1 } };
    const { session, record } = await open({ stallTimeoutMs: 150 });
    session.createResponse({ tag: 'slow' });
    await vi.waitFor(() => expect(record.errors).toHaveLength(1), { timeout: 2000 });
    expect(record.errors[0]).toMatchObject({ kind: 'timeout', retryable: true });
    expect(record.failed.map((f) => f.tag)).toEqual(['slow']);
    session.close();
  });

  it('a malformed frame is a retryable protocol error; the response goes on', async () => {
    server.script = { reply: 'One two three.', fault: { kind: 'malformed', afterDeltas: 1 } };
    const { session, record } = await open();
    session.createResponse();
    await vi.waitFor(() => expect([...record.done.values()]).toEqual(['completed']));
    expect(record.errors.map((e) => [e.kind, e.retryable])).toEqual([['protocol', true]]);
    expect([...record.text.values()]).toEqual(['One two three.']);
    session.close();
  });

  it('a wrong key is a non-retryable auth error; an untrusted certificate and a refused connection are network errors', async () => {
    const wrong = recorder();
    realtime({ apiKey: 'sk-wrong' }).connect({ instructions: '', language: 'en', sampleRate: 8000, outputAudio: false }, wrong.hooks);
    const untrusted = recorder();
    realtime({ clientOptions: {} }).connect({ instructions: '', language: 'en', sampleRate: 8000, outputAudio: false }, untrusted.hooks);
    const refused = recorder();
    realtime({ baseURL: 'https://127.0.0.1:1/v1' }).connect({ instructions: '', language: 'en', sampleRate: 8000, outputAudio: false }, refused.hooks);
    await vi.waitFor(() => expect([wrong, untrusted, refused].map((r) => r.errors.length)).toEqual([1, 1, 1]));
    expect(wrong.errors[0]).toMatchObject({ kind: 'auth', retryable: false });
    expect(wrong.errors[0]!.message).toContain('HTTP 401');
    expect(untrusted.errors[0]).toMatchObject({ kind: 'network', retryable: false });
    expect(untrusted.errors[0]!.message).toContain('clientOptions.ca');
    expect(refused.errors[0]).toMatchObject({ kind: 'network', retryable: true });
  });

  it('rejects bad configuration early, saying what to do', () => {
    expect(() => realtime({ apiKey: '' })).toThrow(/apiKey is empty/);
    expect(() => realtime().connect({ instructions: '', language: 'en', sampleRate: 8000, outputAudio: true }, recorder().hooks)).toThrow(/outputAudio: true/);
    expect(() => realtime().connect({ instructions: '', language: 'en', sampleRate: 11025, outputAudio: false }, recorder().hooks)).toThrow(/11025 Hz is not supported/);
  });
});

async function collect(stream: AsyncIterable<LlmDelta>): Promise<string> {
  let text = '';
  for await (const delta of stream) if (typeof delta === 'string') text += delta;
  return text;
}

function llmRequest(messages: ChatMessage[], signal = new AbortController().signal) {
  return { messages, model: 'gpt-realtime', temperature: 0.7, maxOutputTokens: 300, signal, facts: { language: 'en-US', turn: 1 } };
}

describe('dualplex adapters (STT + LLM on one session)', () => {
  it('keeps the conversation as heard: a reply cut by barge-in is what the model sees next', async () => {
    const contexts: MockReplyContext[] = [];
    const replies = ['We are open nine to five on weekdays and ten to four on Saturdays.', 'We are closed on Sundays.'];
    server.script = { transcripts: ['what are your hours', 'and on sunday'], reply: (context) => (contexts.push(context), replies[context.index]!) };
    const before = server.connections.length;
    const channel = createRealtimeChannel(realtime(), { instructions: 'You answer the phone.' });
    const stt = realtimeSpeechToText(channel);
    const llm = realtimeLanguageModel(channel);
    const finals: Transcript[] = [];
    const sttErrors: ProviderError[] = [];
    const stream = stt.start({ language: 'en-US', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: (t) => finals.push(t), onError: (e) => sttErrors.push(e) });
    const mock = await vi.waitFor(() => {
      expect(server.connections[before]).toBeDefined();
      return server.connections[before]!;
    });

    // Turn 1: the caller speaks; our endpointing commits; the reply streams.
    for (const frame of frames(20, 8000)) stream.pushAudio(frame);
    stream.commit();
    await vi.waitFor(() => expect(finals.map((t) => t.text)).toEqual(['what are your hours']));
    const system: ChatMessage = { role: 'system', content: 'SYSTEM PROMPT' };
    const first = await collect(llm.stream(llmRequest([system, { role: 'user', content: 'what are your hours' }])));
    expect(first).toBe(replies[0]);

    // The caller barges in after "We are open nine to five"; the runtime's context holds what was heard.
    for (const frame of frames(20, 8000)) stream.pushAudio(frame);
    stream.commit();
    await vi.waitFor(() => expect(finals).toHaveLength(2));
    const note = '[The caller interrupted the assistant here.]';
    const second = await collect(
      llm.stream(
        llmRequest([system, { role: 'user', content: 'what are your hours' }, { role: 'assistant', content: 'We are open nine to five' }, { role: 'system', content: note }, { role: 'user', content: 'and on sunday' }]),
      ),
    );
    expect(second).toBe(replies[1]);
    expect(contexts[1]).toMatchObject({
      instructions: 'SYSTEM PROMPT',
      conversation: [
        { role: 'user', text: 'what are your hours' },
        { role: 'assistant', text: 'We are open nine to five' },
        { role: 'system', text: note },
        { role: 'user', text: 'and on sunday' },
      ],
    });
    // The caller's turns stayed audio items; only the cut reply was replaced, at its place.
    const committed = sentByServer(mock, 'input_audio_buffer.committed').map((event) => event.item_id);
    expect(contexts[1]!.conversation.filter((item) => item.role === 'user').map((item) => item.id)).toEqual(committed);
    expect(received(mock, 'conversation.item.delete')).toHaveLength(1);
    expect(received(mock, 'conversation.item.create').map((event) => (event as { previous_item_id?: string }).previous_item_id)).toEqual([committed[0], expect.stringMatching(/^va_item_/)]);
    expect(sttErrors).toEqual([]);
    stream.close();
  });

  it('aborting a request cancels its response; the next request works', async () => {
    server.script = { reply: 'A fairly long answer that keeps going for a while yet.', deltaIntervalMs: 10 };
    const before = server.connections.length;
    const channel = createRealtimeChannel(realtime(), { instructions: 'x' });
    const llm = realtimeLanguageModel(channel);
    const controller = new AbortController();
    let text = '';
    for await (const delta of llm.stream(llmRequest([{ role: 'user', content: 'hi' }], controller.signal))) {
      text += delta as string;
      controller.abort();
    }
    expect(text).toBe('A');
    const mock = server.connections[before]!;
    await vi.waitFor(() => expect(received(mock, 'response.cancel')).toHaveLength(1));
    await vi.waitFor(() => expect((sentByServer(mock, 'response.done')[0] as { response: { status: string } })?.response.status).toBe('cancelled'));
    server.script = { reply: 'Short.' };
    expect(await collect(llm.stream(llmRequest([{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'A' }, { role: 'user', content: 'again' }])))).toBe('Short.');
    expect(mock.conversation.map((item) => [item.role, item.content[0]!.text])).toEqual([
      ['user', 'hi'],
      ['assistant', 'A'],
      ['user', 'again'],
      ['assistant', 'Short.'],
    ]);
    channel.close();
  });

  it('reports the recogniser lost when the session cannot be opened (a refused key), once', async () => {
    const channel = createRealtimeChannel(realtime({ apiKey: 'wrong-key' }), { instructions: 'x' });
    const errors: ProviderError[] = [];
    const lost: ProviderError[] = [];
    const stream = realtimeSpeechToText(channel).start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: () => {}, onError: (e) => errors.push(e), onLost: (e) => lost.push(e) });
    await vi.waitFor(() => expect(lost).toHaveLength(1));
    expect(lost[0]).toMatchObject({ kind: 'auth', retryable: false });
    expect(errors).toEqual(lost);
    stream.close();
  });

  it('a dropped socket fails the LLM stream with a retryable error', async () => {
    server.script = { reply: 'One two three four.', fault: { kind: 'close', afterDeltas: 2 } };
    const channel = createRealtimeChannel(realtime(), { instructions: 'x' });
    const errors: ProviderError[] = [];
    channel.subscribe({ onError: (error) => errors.push(error) });
    await expect(collect(realtimeLanguageModel(channel).stream(llmRequest([{ role: 'user', content: 'hi' }])))).rejects.toMatchObject({ kind: 'network', retryable: true });
    expect(errors).toHaveLength(1);
    channel.close();
  });

  it('setLanguage moves transcription to the new language without reopening', async () => {
    server.script = { transcripts: ['bonjour'] };
    const before = server.connections.length;
    const channel = createRealtimeChannel(realtime(), { instructions: 'x' });
    const finals: Transcript[] = [];
    const stream = realtimeSpeechToText(channel).start({ language: 'en-US', languageHints: ['fr-FR'], sampleRate: 8000 }, { onPartial: () => {}, onFinal: (t) => finals.push(t), onError: () => {} });
    stream.setLanguage('fr-FR');
    for (const frame of frames(10, 8000)) stream.pushAudio(frame);
    stream.commit();
    await vi.waitFor(() => expect(finals.map((t) => [t.text, t.language])).toEqual([['bonjour', 'fr-FR']]));
    const mock = server.connections[before]!;
    expect(received(mock, 'session.update')[1]).toEqual({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-transcribe', language: 'fr' } } } } });
    expect(server.connections).toHaveLength(before + 1);
    stream.close();
  });
});

describe('speech-to-speech voice (the model\'s own audio as TTS)', () => {
  it('after a dropped socket, plays the reconnected session\'s response, not one the dropped session left unfinished', async () => {
    // A response nobody's voice context claimed (one created after its reply was cut, say) dies with the socket:
    // it never gets its response.done.
    server.script = { reply: 'One two three four.', fault: { kind: 'close', afterDeltas: 1 } };
    const before = server.connections.length;
    const channel = createRealtimeChannel(realtime({ outputAudio: true }), { instructions: 'x' });
    const voice = realtimeVoice(channel);
    const llm = realtimeLanguageModel(channel);
    await expect(collect(llm.stream(llmRequest([{ role: 'user', content: 'hi' }])))).rejects.toMatchObject({ kind: 'network', retryable: true });
    server.script = { reply: 'Hello there.' };
    await vi.waitFor(() => expect(server.connections).toHaveLength(before + 2), { timeout: 2000 });

    // The next reply opens its voice context first, then asks the new session for the answer.
    const chunks: TtsChunk[] = [];
    let done = false;
    const context = voice.open({ voice: 'marin', language: 'en', sampleRate: 8000, speed: 1 }, { onAudio: (chunk) => chunks.push(chunk), onDone: () => (done = true), onError: (error) => expect.fail(error.message) });
    expect(await collect(llm.stream(llmRequest([{ role: 'user', content: 'hi' }, { role: 'user', content: 'again' }])))).toBe('Hello there.');
    context.end();
    await vi.waitFor(() => expect(done).toBe(true));
    // Three tokens ("Hello", " there", "."), 120 ms of audio each, at the 24 kHz of a session a request opened.
    expect(chunks.reduce((samples, chunk) => samples + chunk.pcm.length, 0)).toBe(3 * 120 * 24);
    channel.close();
  });
});

describe('cascade STT over a Realtime transcription session', () => {
  it('opens with ?intent=transcription, configures a GA transcription session, reports speech events and transcripts', async () => {
    server.script = { transcripts: ['I need to change my booking'] };
    const before = server.connections.length;
    const stt = realtimeTranscriptionStt({ apiKey: server.apiKey, baseURL: server.baseURL, model: 'gpt-4o-transcribe', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    const events: string[] = [];
    const stream = stt.start(
      { language: 'en-GB', languageHints: [], sampleRate: 8000 },
      {
        onPartial: (t) => events.push(`partial ${t.text}`),
        onFinal: (t) => events.push(`final ${t.text}`),
        onError: (e) => events.push(`error ${e.message}`),
        onSpeechStarted: (ms) => events.push(`started ${ms}`),
        onSpeechStopped: (ms) => events.push(`stopped ${ms}`),
      },
    );
    for (const frame of [...frames(20, 8000), ...frames(30, 8000, false)]) stream.pushAudio(frame);
    await vi.waitFor(() => expect(events.at(-1)).toBe('final I need to change my booking'));
    const mock = server.connections[before]!;
    expect(mock.url.search).toBe('?intent=transcription');
    expect(mock.received[0]).toEqual({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-transcribe', language: 'en' },
            turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 },
          },
        },
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    expect(events.slice(0, 3)).toEqual(['started 0', 'stopped 900', 'partial I']);
    expect(events.filter((e) => e.startsWith('partial'))).toHaveLength(6);
    stream.close();
  });

  it('runs a live-streaming model without server VAD: the runtime\'s end of speech commits each utterance', async () => {
    server.script = { transcripts: ['I need to change my booking'] };
    const before = server.connections.length;
    const stt = realtimeTranscriptionStt({ apiKey: server.apiKey, baseURL: server.baseURL, model: 'gpt-live-transcribe', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    // Its words come while the caller speaks, so barge-in confirmation may wait for them.
    expect(stt.capabilities.partials).toBe(true);
    const finals: string[] = [];
    const errors: string[] = [];
    const stream = stt.start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: (t) => finals.push(t.text), onError: (e) => errors.push(e.message) });
    for (const frame of [...frames(20, 8000), ...frames(30, 8000, false)]) stream.pushAudio(frame);
    const mock = await vi.waitFor(() => server.connections[before] ?? expect.fail('not connected yet'));
    await vi.waitFor(() => expect(received(mock, 'input_audio_buffer.append')).toHaveLength(50));
    expect(mock.received[0]).toMatchObject({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-live-transcribe' }, turn_detection: null } } } });
    expect(finals).toEqual([]); // no server VAD: nothing is cut on the server's silence
    stream.endOfSpeech!();
    await vi.waitFor(() => expect(finals).toEqual(['I need to change my booking']));
    expect(received(mock, 'input_audio_buffer.commit')).toHaveLength(1);
    expect(errors).toEqual([]);
    stream.close();
  });

  it('after a dropped socket, opens a new session in the current language and transcribes the next utterance', async () => {
    server.script = { transcripts: ['first question', 'second question'] };
    const before = server.connections.length;
    const stt = realtimeTranscriptionStt({ apiKey: server.apiKey, baseURL: server.baseURL, model: 'gpt-4o-transcribe', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    const finals: string[] = [];
    const errors: ProviderError[] = [];
    const stream = stt.start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: (t) => finals.push(t.text), onError: (e) => errors.push(e) });
    for (const frame of [...frames(20, 8000), ...frames(30, 8000, false)]) stream.pushAudio(frame);
    await vi.waitFor(() => expect(finals).toEqual(['first question']));
    stream.setLanguage('fr');
    server.connections[before]!.close(1011);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ kind: 'network', retryable: true });
    // Audio while the socket is down is not transcribed, and nothing throws.
    for (const frame of frames(5, 8000, false)) stream.pushAudio(frame);
    const next = await vi.waitFor(() => server.connections[before + 1] ?? expect.fail('no new connection yet'), { timeout: 2000 });
    expect(next.url.search).toBe('?intent=transcription');
    expect(next.received[0]).toMatchObject({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: { model: 'gpt-4o-transcribe', language: 'fr' } } } } });
    // The mock's script starts over on each connection: it transcribes its first line again.
    for (const frame of [...frames(20, 8000), ...frames(30, 8000, false)]) stream.pushAudio(frame);
    await vi.waitFor(() => expect(finals).toEqual(['first question', 'first question']));
    expect(errors).toHaveLength(1);
    stream.close();
  });

  it('does not reconnect after a refused key, and reports the stream lost; nor after close()', async () => {
    const before = server.connections.length;
    const refused = realtimeTranscriptionStt({ apiKey: 'wrong-key', baseURL: server.baseURL, model: 'gpt-4o-transcribe', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    const errors: ProviderError[] = [];
    const lost: ProviderError[] = [];
    const stream = refused.start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: () => {}, onError: (e) => errors.push(e), onLost: (e) => lost.push(e) });
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]).toMatchObject({ kind: 'auth', retryable: false });
    expect(lost).toEqual([errors[0]]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(errors).toHaveLength(1);
    stream.close();

    const stt = realtimeTranscriptionStt({ apiKey: server.apiKey, baseURL: server.baseURL, model: 'gpt-4o-transcribe', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    const closing = stt.start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: () => {}, onError: () => {} });
    const mock = await vi.waitFor(() => server.connections[before] ?? expect.fail('not connected yet'));
    closing.close();
    mock.close(1011);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(server.connections).toHaveLength(before + 1);
  });

  it('a live-streaming model asked for server VAD is refused by the server, and the refusal reaches the runtime', async () => {
    const stt = realtimeTranscriptionStt({ apiKey: server.apiKey, baseURL: server.baseURL, model: 'gpt-realtime-whisper', turnDetection: 'server_vad', inputFormat: 'pcmu', clientOptions: { ca: server.ca } });
    const errors: string[] = [];
    const stream = stt.start({ language: 'en', languageHints: [], sampleRate: 8000 }, { onPartial: () => {}, onFinal: () => {}, onError: (e) => errors.push(e.message) });
    await vi.waitFor(() => expect(errors.join(' ')).toContain('Turn detection is not supported'));
    stream.close();
  });
});

describe('conversation mirror', () => {
  const user = (content: string): ChatMessage => ({ role: 'user', content });
  const assistant = (content: string): ChatMessage => ({ role: 'assistant', content });

  it('inserts missing messages at their place and deletes ones the runtime dropped', () => {
    let n = 0;
    const mirror = new ConversationMirror(() => `new${++n}`);
    mirror.added({ id: 'u1', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }, null);
    mirror.added({ id: 'a1', type: 'message', role: 'assistant', content: [] }, 'u1');
    mirror.appendText('a1', 'Hello!');
    mirror.added({ id: 'u2', type: 'message', role: 'user', content: [{ type: 'input_audio', transcript: null }] }, 'a1');
    // The runtime starts with a greeting it spoke itself and never counted the noise turn "u2" ... but u2 is untranscribed: it matches.
    const plan = mirror.plan([assistant('Welcome to the clinic.'), user('hi'), assistant('Hello!'), user('anything')]);
    expect(plan).toEqual([{ type: 'conversation.item.create', previous_item_id: 'root', item: { id: 'new1', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Welcome to the clinic.' }] } }]);
    expect(mirror.plan([user('hi')])).toEqual([
      { type: 'conversation.item.delete', item_id: 'new1' },
      { type: 'conversation.item.delete', item_id: 'a1' },
      { type: 'conversation.item.delete', item_id: 'u2' },
    ]);
    expect(mirror.items.map((item) => item.id)).toEqual(['u1']);
  });

  it('restores earlier messages in front of the latest turn\'s committed audio, which stays (a reconnected session)', () => {
    let n = 0;
    const mirror = new ConversationMirror(() => `new${++n}`);
    mirror.commitSent(); // its placeholder takes new1
    mirror.committed('u2', null);
    mirror.setText('u2', 'and on sunday');
    const note = '[The reply broke off here.]';
    expect(mirror.plan([user('what are your hours'), assistant('We are open'), { role: 'system', content: note }, user('and on sunday')])).toEqual([
      { type: 'conversation.item.create', previous_item_id: 'root', item: { id: 'new2', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what are your hours' }] } },
      { type: 'conversation.item.create', previous_item_id: 'new2', item: { id: 'new3', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'We are open' }] } },
      { type: 'conversation.item.create', previous_item_id: 'new3', item: { id: 'new4', type: 'message', role: 'system', content: [{ type: 'input_text', text: note }] } },
    ]);
    expect(mirror.items.map((item) => item.id)).toEqual(['new2', 'new3', 'new4', 'u2']);
    // A changed item that is no later message is still replaced at its place.
    expect(mirror.plan([user('what are your hours'), assistant('We are'), { role: 'system', content: note }, user('and on sunday')])).toEqual([
      { type: 'conversation.item.delete', item_id: 'new3' },
      { type: 'conversation.item.create', previous_item_id: 'new2', item: { id: 'new5', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'We are' }] } },
    ]);
  });

  it('a placeholder for committed audio matches the next user turn and is deleted once named, if dropped', () => {
    const mirror = new ConversationMirror(() => 'new');
    mirror.commitSent();
    expect(mirror.plan([user('yes please')])).toEqual([]);
    expect(mirror.committed('u9', null)).toEqual([]);
    expect(mirror.items).toEqual([{ id: 'u9', role: 'user', text: undefined, placeholder: false }]);
    mirror.commitSent();
    expect(mirror.plan([user('yes please')])).toEqual([]); // the new placeholder is extra: dropped...
    expect(mirror.committed('u10', 'u9')).toEqual([{ type: 'conversation.item.delete', item_id: 'u10' }]); // ...and deleted once named
  });
});
