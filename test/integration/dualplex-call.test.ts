// A caller phones a dualplex agent: one OpenAI Realtime session hears them (our VAD ends the turn and commits
// the audio, `turnDetection: local`) and writes the answer as text, ElevenLabs speaks it, all through the real
// adapters built by createProviders from the agent's YAML, against the loopback mocks. Half a second into the
// long answer about opening hours the caller cuts in about parking: playout pauses, the ElevenLabs context is
// closed without a flush, the Realtime mock receives `response.cancel` for the reply still being written, the
// assistant item is replaced by the words the caller heard, and the next response sees exactly those words,
// followed by the interruption note. Every mock checks what it receives: its violations must stay empty.
import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTION_NOTE } from '../../runtime/call/conversation.js';
import type { MockReplyContext } from '../mocks/openai-realtime-server.js';
import { cascadeSections, closeMocks, elevenLabsContexts, ENV, fixtureSpeech, heardMsFrom, HOURS, mockViolations, PARKING, scriptedReply, startCall, startMocks, type CallRig, type Mocks } from './call-rig.js';

let mocks: Mocks | undefined;
let rig: CallRig | undefined;

afterEach(async () => {
  await rig?.end();
  if (mocks) await closeMocks(mocks);
  rig = undefined;
  mocks = undefined;
});

function agentYaml(m: Mocks): string {
  return `
apiVersion: voiceagent/v1
name: dualplex-integration
inference:
  mode: dualplex
  realtime: { provider: openai, model: gpt-realtime, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:OPENAI_API_KEY}', transcriptionModel: gpt-4o-transcribe, turnDetection: local }
voice: { provider: elevenlabs, baseURL: '${m.elevenlabs!.baseURL}', apiKey: '\${env:ELEVENLABS_API_KEY}', voices: { en: voice-a } }
languages: { default: en }
prompt: { system: You are the front desk of a dental clinic. Be brief. }
`;
}

async function startDualplex(seen: MockReplyContext[], turnDetection = 'local'): Promise<{ mocks: Mocks; rig: CallRig }> {
  mocks = await startMocks({
    realtime: { transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'], reply: scriptedReply(seen), deltaIntervalMs: 60 },
    elevenlabs: {},
  });
  rig = await startCall({ yaml: agentYaml(mocks).replace('turnDetection: local', `turnDetection: ${turnDetection}`), ca: mocks.realtime!.ca });
  return { mocks, rig };
}

const ofType = (events: ReadonlyArray<Record<string, unknown>>, type: string) => events.filter((event) => event.type === type);

describe('a dualplex call through the real adapters', () => {
  it('answers, is interrupted mid-answer (response.cancel, ElevenLabs context closed), and the next response sees only the heard words', async () => {
    const seen: MockReplyContext[] = [];
    const { mocks, rig } = await startDualplex(seen);
    const { transport } = rig;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    // Turn 1: our end of speech commits the audio, the session transcribes it and writes the answer.
    const first = await rig.until('the first reply to reach the transport', () => rig.utteranceStart(1));
    await rig.until('500 ms of the first reply to be heard', () => heardMsFrom(transport, first) >= 500);
    const realtime = mocks.realtime!.connections[0]!;
    expect(mocks.realtime!.connections).toHaveLength(1);
    expect(realtime.kind).toBe('realtime');
    expect(realtime.headers.authorization).toBe(`Bearer ${ENV.OPENAI_API_KEY}`);
    expect(realtime.received[0]).toMatchObject({
      type: 'session.update',
      session: { output_modalities: ['text'], audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: null } } },
    });
    expect(ofType(realtime.received, 'input_audio_buffer.commit')).toHaveLength(1);

    // Barge-in: 720 ms of caller speech while the agent talks and the model is still writing.
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    const interrupted = await rig.until('the barge-in to be confirmed', () => rig.events.find((e) => e.type === 'barge-in' && e.decision === 'interrupted'));
    const clearedAtMs = transport.clears.at(-1)!;
    const heardMs = heardMsFrom(transport, first);

    const second = await rig.until('the second reply to reach the transport', () => rig.utteranceStart(2), 5000);
    await rig.until('the second reply to be played out', () => rig.session.states().includes('active.agent.idle.attentive') && rig.session.record.turns[1]?.outcome === 'answered', 5000);
    const record = await rig.end();
    await rig.until('the ElevenLabs socket to be closed', () => mocks.elevenlabs!.connections.every((connection) => connection.closed), 1000);

    // Playout paused at the onset; nothing of the first reply was sent after the clear.
    expect(rig.events.some((e) => e.type === 'barge-in' && e.decision === 'paused')).toBe(true);
    expect(transport.sent.slice(first, second).every((frame) => frame.atMs <= clearedAtMs)).toBe(true);

    // ElevenLabs: the first context was stopped (close_context, no flush); the second one ran to its end.
    const [firstContext, secondContext] = elevenLabsContexts(mocks.elevenlabs!);
    expect(firstContext!.messages.at(-1)).toEqual({ context_id: firstContext!.id, close_context: true });
    expect(firstContext!.messages.some((message) => message.flush === true)).toBe(false);
    expect(secondContext!.messages.at(-1)).toEqual({ context_id: secondContext!.id, close_context: true });

    // Realtime: the response being written was cancelled by id, and the server reported it cancelled.
    const [firstResponse, secondResponse] = ofType(realtime.sent, 'response.created').map((event) => (event.response as { id: string }).id);
    expect(ofType(realtime.received, 'response.cancel')).toEqual([{ type: 'response.cancel', response_id: firstResponse }]);
    // The reply is stopped before its item is replaced by the heard words (delete, then create at the same place).
    const edits = realtime.received.filter((event) => ['response.cancel', 'conversation.item.delete', 'conversation.item.create'].includes(String(event.type))).slice(0, 3);
    expect(edits.map((event) => event.type)).toEqual(['response.cancel', 'conversation.item.delete', 'conversation.item.create']);
    const done = ofType(realtime.sent, 'response.done').map((event) => event.response as { id: string; status: string });
    expect(done).toEqual([expect.objectContaining({ id: firstResponse, status: 'cancelled' }), expect.objectContaining({ id: secondResponse, status: 'completed' })]);

    // What the caller heard: whole words whose audio (40 ms a character at the mock) had played by the cut.
    const heardText = interrupted.type === 'barge-in' ? interrupted.record.heardText! : '';
    expect(heardText.length).toBeGreaterThan(0);
    expect(HOURS.startsWith(heardText)).toBe(true);
    expect(heardText.length * 40).toBeLessThanOrEqual(heardMs + 40);
    expect(HOURS.indexOf(' ', heardText.length + 1) * 40).toBeGreaterThan(heardMs - 40);

    // The model's history as heard: the assistant item replaced by the heard words, then the note, then turn 2.
    expect(seen).toHaveLength(2);
    expect(seen[1]!.conversation.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'user', text: 'Could you tell me your opening hours?' },
      { role: 'assistant', text: heardText },
      { role: 'system', text: INTERRUPTION_NOTE },
      { role: 'user', text: 'And do you have parking nearby?' },
    ]);
    expect(record.transcript.map((entry) => [entry.role, entry.text, entry.interrupted ?? false])).toEqual([
      ['user', 'Could you tell me your opening hours?', false],
      ['assistant', heardText, true],
      ['user', 'And do you have parking nearby?', false],
      ['assistant', PARKING, false],
    ]);
    expect(record.turns.map((turn) => turn.outcome)).toEqual(['interrupted', 'answered']);
    expect(record.failures).toEqual([]);
    expect(mockViolations(mocks)).toEqual([]);
  });

  it("with turnDetection: server_vad, confirms a barge-in only once the server's VAD hears it too", async () => {
    const { mocks, rig } = await startDualplex([], 'server_vad');
    const { transport } = rig;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));
    const first = await rig.until('the first reply to reach the transport', () => rig.utteranceStart(1), 5000);
    await rig.until('500 ms of the first reply to be heard', () => heardMsFrom(transport, first) >= 500);
    const realtime = mocks.realtime!.connections[0]!;
    expect(realtime.received[0]).toMatchObject({ type: 'session.update', session: { audio: { input: { turn_detection: { type: 'server_vad', create_response: false, interrupt_response: false } } } } });
    const speechStarts = () => ofType(realtime.sent, 'input_audio_buffer.speech_started').length;
    expect(speechStarts()).toBe(1);

    // Speech at a third of its level: loud enough for our VAD to pause playout, too quiet for the mock's
    // energy VAD (RMS > 2500), which stands in for a server VAD that rejects it as noise.
    const quiet = fixtureSpeech('speech-en-female', 2180, 2900).map((sample) => Math.round(sample * 0.3));
    void rig.say(quiet);
    const resumed = await rig.until('playout to resume', () => rig.events.find((e) => e.type === 'barge-in' && e.decision === 'resumed'), 5000);
    expect(resumed.type === 'barge-in' && resumed.record).toMatchObject({ kind: 'false', reason: "the recogniser's VAD heard no speech" });
    expect(speechStarts()).toBe(1);
    expect(ofType(realtime.received, 'response.cancel')).toEqual([]);

    // The same words at their own level: the server hears them too, and the barge-in is confirmed.
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    const interrupted = await rig.until('the barge-in to be confirmed', () => rig.events.find((e) => e.type === 'barge-in' && e.decision === 'interrupted'), 5000);
    expect(speechStarts()).toBe(2);
    expect(interrupted.type === 'barge-in' && interrupted.record.kind).toBe('interrupt');
    const record = await rig.end();
    expect(record.bargeIns.map((b) => b.kind)).toEqual(['false', 'interrupt']);
    expect(record.failures).toEqual([]);
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('apologises and hangs up when the Realtime session refuses the key, rather than staying on the line deaf', async () => {
    mocks = await startMocks({ realtime: {}, elevenlabs: {} });
    // The chat key is not the Realtime mock's: the session's upgrade is refused (401) and not retried.
    const yaml = agentYaml(mocks).replace("apiKey: '${env:OPENAI_API_KEY}'", "apiKey: '${env:CHAT_API_KEY}'");
    rig = await startCall({ yaml, ca: mocks.realtime!.ca });
    const record = await rig.until('the call to end', () => rig!.session.record.endReason && rig!.session.record, 8000);
    expect(record.endReason).toBe('error');
    expect(mocks.realtime!.connections).toHaveLength(0);
    expect(record.failures.map(({ source, retryable }) => ({ source, retryable }))).toEqual([
      { source: 'stt', retryable: false },
      { source: 'stt', retryable: false },
    ]);
    expect(record.failures[1]!.message).toMatch(/can no longer be heard/);
    // The apology was spoken by ElevenLabs and played out before the hang-up.
    const [apology] = elevenLabsContexts(mocks.elevenlabs!);
    const text = apology!.messages.map((message) => (typeof message.text === 'string' ? message.text : '')).join('');
    expect(text.trim()).toBe("Sorry, I can't hear you because of a technical problem. Please call back in a few minutes. Goodbye!");
    expect(record.transcript.map((entry) => entry.role)).toEqual(['assistant']);
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('with degradeTo, goes on as a cascade when the Realtime session refuses the key', async () => {
    mocks = await startMocks({ realtime: { transcripts: ['And do you have parking nearby?'] }, chat: { reply: () => PARKING }, elevenlabs: {} });
    const m = mocks;
    // The Realtime session gets the chat key, which the Realtime mock refuses (401); `stt` has the right one.
    const yaml = `
apiVersion: voiceagent/v1
name: dualplex-degrades
inference:
  mode: dualplex
  realtime: { provider: openai, model: gpt-realtime, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:CHAT_API_KEY}', transcriptionModel: gpt-4o-transcribe, degradeTo: main }
${cascadeSections(m)}`;
    rig = await startCall({ yaml, ca: m.realtime!.ca });
    await rig.until('the transcription session to open', () => m.realtime!.connections.length === 1, 3000);
    expect(m.realtime!.connections[0]!.url.search).toBe('?intent=transcription');
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    await rig.until('the question to be answered', () => rig!.session.record.turns[0]?.outcome === 'answered', 8000);
    const record = await rig.end();
    expect(record.endReason).not.toBe('error');
    expect(m.chat!.requests[0]!.body!.messages.at(-1)).toEqual({ role: 'user', content: 'And do you have parking nearby?' });
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: PARKING });
    expect(record.failures.map((f) => f.source)).toEqual(['stt', 'stt']);
    expect(record.failures[1]!.message).toMatch(/going on as a cascade, heard by openai-transcribe and answered by `main`/);
    expect(mockViolations(m)).toEqual([]);
  });

  it('opens the ElevenLabs socket when the call starts, and the first reply speaks on it', async () => {
    const { mocks, rig } = await startDualplex([]);
    const elevenlabs = mocks.elevenlabs!;
    await rig.until('the ElevenLabs socket to open before anyone spoke', () => elevenlabs.connections.length === 1);
    expect(elevenlabs.received).toEqual([]);
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));
    await rig.until('the first reply to reach the transport', () => rig.utteranceStart(1));
    expect(elevenlabs.connections).toHaveLength(1);
    expect(elevenlabs.received.length).toBeGreaterThan(0);
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('reconnects after the Realtime socket drops mid-response, restores the history and answers the next turn', async () => {
    const seen: MockReplyContext[] = [];
    const { mocks, rig } = await startDualplex(seen);
    // Three text deltas ("Sure", ".", " We"), then the server closes the socket (1011).
    mocks.realtime!.script.fault = { kind: 'close', afterDeltas: 3 };
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    await rig.until('the reply failure to be recorded', () => rig.session.record.failures.find((failure) => failure.source === 'reply'), 5000);
    // The mock's script applies to each connection afresh (its transcripts start over): the new connection is
    // healthy and hears the second question, so the first one can only reach it through the restored history.
    Object.assign(mocks.realtime!.script, { fault: undefined, transcripts: ['And do you have parking nearby?'] });
    await rig.until('the agent to listen again', () => rig.session.states().includes('active.agent.idle.attentive'));
    // The channel opens a new session after a short back-off; the call is not deaf for the rest of it.
    await rig.until('a new Realtime connection', () => mocks.realtime!.connections.length === 2, 3000);

    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    await rig.until('the next turn to be answered', () => rig.session.record.turns[1]?.outcome === 'answered', 8000);
    const endedAt = performance.now();
    const record = await rig.end();
    expect(performance.now() - endedAt).toBeLessThan(500);

    expect(record.turns.map((turn) => turn.outcome)).toEqual(['failed', 'answered']);
    // The same dropped socket failed both sides of the channel: the recogniser and the reply.
    expect(record.failures.map(({ source, retryable }) => ({ source, retryable }))).toEqual(
      expect.arrayContaining([
        { source: 'stt', retryable: true },
        { source: 'reply', retryable: true },
      ]),
    );
    // The new session was given the conversation so far before answering: the first question is in it.
    const restored = seen.at(-1)!;
    const texts = restored.conversation.map((item) => item.text);
    expect(texts).toContain('Could you tell me your opening hours?');
    expect(texts.at(-1)).toBe('And do you have parking nearby?');
    expect(mockViolations(mocks)).toEqual([]);
  });
});
