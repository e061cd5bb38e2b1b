// A caller phones a cascade agent: a Realtime transcription session hears them (our VAD commits each utterance), Chat Completions
// writes the answer, ElevenLabs speaks it, all through the real adapters built by createProviders from the
// agent's YAML, against the loopback mocks. The caller asks for the opening hours; half a second into the long
// answer they cut in with a question about parking. Playout pauses, the ElevenLabs context is closed without
// a flush, the chat stream is dropped, and the next chat request carries only the words the caller heard,
// followed by the interruption note. Every mock checks what it receives: its violations must stay empty.
import { afterEach, describe, expect, it } from 'vitest';
import { INTERRUPTION_NOTE } from '../../runtime/call/conversation.js';
import { cascadeSections, closeMocks, elevenLabsContexts, ENV, fixtureSpeech, heardMsFrom, HOURS, mockViolations, PARKING, startCall, startMocks, type CallRig, type Mocks } from './call-rig.js';

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
name: cascade-integration
inference: { mode: cascade }
${cascadeSections(m)}`;
}

async function startCascade(chat: Parameters<typeof startMocks>[0]['chat'] = {}): Promise<{ mocks: Mocks; rig: CallRig }> {
  mocks = await startMocks({
    realtime: { transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'] },
    chat: { reply: (body) => (/parking/i.test(body.messages.at(-1)?.content ?? '') ? PARKING : HOURS), tokenIntervalMs: 60, ...chat },
    elevenlabs: {},
  });
  rig = await startCall({ yaml: agentYaml(mocks), ca: mocks.realtime!.ca });
  return { mocks, rig };
}

describe('a cascade call through the real adapters', () => {
  it('answers, is interrupted mid-answer, and asks the next question with only the heard words in context', async () => {
    const { mocks, rig } = await startCascade();
    const { transport } = rig;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    // Turn 1: transcribed by the transcription session, answered by the chat model, spoken by ElevenLabs.
    const first = await rig.until('the first reply to reach the transport', () => rig.utteranceStart(1));
    await rig.until('500 ms of the first reply to be heard', () => heardMsFrom(transport, first) >= 500);
    const transcription = mocks.realtime!.connections[0]!;
    expect(transcription.kind).toBe('transcription');
    // stt.turnDetection defaults to local: no server VAD, and our VAD committed the caller's audio.
    expect(transcription.received[0]).toMatchObject({ type: 'session.update', session: { audio: { input: { turn_detection: null } } } });
    expect(transcription.received.filter((event) => event.type === 'input_audio_buffer.commit')).toHaveLength(1);
    expect(transcription.headers.authorization).toBe(`Bearer ${ENV.OPENAI_API_KEY}`);
    expect(mocks.chat!.requests[0]!.body!.messages).toEqual([
      { role: 'system', content: expect.stringContaining('front desk of a dental clinic') },
      { role: 'user', content: 'Could you tell me your opening hours?' },
    ]);

    // Barge-in: 720 ms of caller speech while the agent talks.
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    const interrupted = await rig.until('the barge-in to be confirmed', () => rig.events.find((e) => e.type === 'barge-in' && e.decision === 'interrupted'));
    const clearedAtMs = transport.clears.at(-1)!;
    const heardMs = heardMsFrom(transport, first);

    const second = await rig.until('the second reply to reach the transport', () => rig.utteranceStart(2), 5000);
    await rig.until('the second reply to be played out', () => rig.session.states().includes('active.agent.idle.attentive') && rig.session.record.turns[1]?.outcome === 'answered', 5000);
    const record = await rig.end();
    // Ending the call releases the providers' sockets.
    await rig.until('the ElevenLabs socket to be closed', () => mocks.elevenlabs!.connections.every((connection) => connection.closed), 1000);

    // Playout paused at the onset and nothing of the first reply was sent after the clear.
    expect(rig.events.some((e) => e.type === 'barge-in' && e.decision === 'paused')).toBe(true);
    expect(transport.sent.slice(first, second).every((frame) => frame.atMs <= clearedAtMs)).toBe(true);
    expect(transport.clearRecords.length).toBeGreaterThan(0);

    // The ElevenLabs context of the first reply was stopped: close_context with no flush (the reply was still coming).
    const [firstContext, secondContext] = elevenLabsContexts(mocks.elevenlabs!);
    expect(firstContext!.messages.at(-1)).toEqual({ context_id: firstContext!.id, close_context: true });
    expect(firstContext!.messages.some((message) => message.flush === true)).toBe(false);
    // The second reply ran to its end: flushed, then closed.
    expect(secondContext!.messages.slice(-2)).toEqual([
      expect.objectContaining({ context_id: secondContext!.id, flush: true }),
      { context_id: secondContext!.id, close_context: true },
    ]);

    // The chat stream of the interrupted reply was dropped by the client before it finished.
    expect(await mocks.chat!.requests[0]!.finished).toBe('client-closed');

    // What the caller heard: whole words whose audio (40 ms a character at the mock) had played by the cut.
    const heardText = interrupted.type === 'barge-in' ? interrupted.record.heardText! : '';
    expect(heardText.length).toBeGreaterThan(0);
    expect(HOURS.startsWith(heardText)).toBe(true);
    expect(heardText.length * 40).toBeLessThanOrEqual(heardMs + 40);
    const nextWordEnd = HOURS.indexOf(' ', heardText.length + 1);
    expect(nextWordEnd * 40).toBeGreaterThan(heardMs - 40);

    // Turn 2's request: the interrupted reply as heard, flagged, then the new question.
    expect(mocks.chat!.requests).toHaveLength(2);
    expect(mocks.chat!.requests[1]!.body!.messages.slice(1)).toEqual([
      { role: 'user', content: 'Could you tell me your opening hours?' },
      { role: 'assistant', content: heardText },
      { role: 'system', content: INTERRUPTION_NOTE },
      { role: 'user', content: 'And do you have parking nearby?' },
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

  it('records a failure when the ElevenLabs socket drops mid-utterance, and answers the next turn on a new socket', async () => {
    const { mocks, rig } = await startCascade();
    const elevenlabs = mocks.elevenlabs!;
    // Two audio messages (the first 16 characters), then the socket is cut.
    elevenlabs.faults.dropAfterAudio = 2;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    const failure = await rig.until('the reply failure to be recorded', () => rig.session.record.failures[0], 5000);
    delete elevenlabs.faults.dropAfterAudio;
    expect(failure).toMatchObject({ source: 'reply', retryable: true });
    expect(elevenlabs.connections[0]!.closed).toBe(true);
    await rig.until('the agent to listen again', () => rig.session.states().includes('active.agent.idle.attentive'));

    // The call goes on: the next question is answered, on a new socket.
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    await rig.until('the second reply to be played out', () => rig.session.record.turns[1]?.outcome === 'answered', 6000);
    const record = await rig.end();

    expect(elevenlabs.connections).toHaveLength(2);
    expect(record.turns.map((turn) => turn.outcome)).toEqual(['failed', 'answered']);
    expect(record.failures).toHaveLength(1);
    // The broken reply stays in the context only as far as it was heard.
    const broken = record.transcript[1]!;
    expect(broken).toMatchObject({ role: 'assistant', interrupted: true });
    expect(HOURS.startsWith(broken.text) && broken.text.length < 16).toBe(true);
    expect(mocks.chat!.requests[1]!.body!.messages.at(-1)).toEqual({ role: 'user', content: 'And do you have parking nearby?' });
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: PARKING });
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('reopens the transcription session after its socket drops between turns, and answers the next question', async () => {
    // A short first answer: the drop comes once it has been played out.
    const { mocks, rig } = await startCascade({ reply: (body) => (/parking/i.test(body.messages.at(-1)?.content ?? '') ? PARKING : 'We open at eight.') });
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));
    await rig.until('the first reply to be played out', () => rig.session.record.turns[0]?.outcome === 'answered' && rig.session.states().includes('active.agent.idle.attentive'), 8000);
    mocks.realtime!.connections[0]!.close(1011);
    await rig.until('the drop to be recorded', () => rig.session.record.failures.find((failure) => failure.source === 'stt'), 2000);
    await rig.until('a new transcription session', () => mocks.realtime!.connections.length === 2, 2000);
    // The mock's script starts over on each connection: the new session's first utterance is the second question.
    mocks.realtime!.script.transcripts = ['And do you have parking nearby?'];

    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    await rig.until('the second reply to be played out', () => rig.session.record.turns[1]?.outcome === 'answered', 8000);
    const record = await rig.end();
    expect(mocks.realtime!.connections[1]!.url.search).toBe('?intent=transcription');
    expect(record.failures.map(({ source, retryable }) => ({ source, retryable }))).toEqual([{ source: 'stt', retryable: true }]);
    expect(mocks.chat!.requests.at(-1)!.body!.messages.at(-1)).toEqual({ role: 'user', content: 'And do you have parking nearby?' });
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: PARKING });
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('with stt.turnDetection: server_vad, the transcription session cuts the caller\'s audio on its own silence', async () => {
    mocks = await startMocks({
      realtime: { transcripts: ['Could you tell me your opening hours?'] },
      chat: { reply: () => PARKING },
      elevenlabs: {},
    });
    const yaml = agentYaml(mocks).replace('model: gpt-4o-transcribe,', 'model: gpt-4o-transcribe, turnDetection: server_vad,');
    rig = await startCall({ yaml, ca: mocks.realtime!.ca });
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));
    await rig.until('the turn to be answered', () => rig!.session.record.turns[0]?.outcome === 'answered', 8000);
    const record = await rig.end();

    const transcription = mocks.realtime!.connections[0]!;
    expect(transcription.received[0]).toMatchObject({ type: 'session.update', session: { type: 'transcription', audio: { input: { turn_detection: { type: 'server_vad', silence_duration_ms: 500 } } } } });
    // The server cut the audio; the runtime never committed it.
    expect(transcription.sent.some((event) => event.type === 'input_audio_buffer.speech_stopped')).toBe(true);
    expect(transcription.received.some((event) => event.type === 'input_audio_buffer.commit')).toBe(false);
    expect(mocks.chat!.requests[0]!.body!.messages.at(-1)).toEqual({ role: 'user', content: 'Could you tell me your opening hours?' });
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: PARKING });
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('speaks with the fallback voice when ElevenLabs refuses the socket, and records the switch', async () => {
    mocks = await startMocks({
      realtime: { transcripts: ['Could you tell me your opening hours?'] },
      chat: { reply: () => PARKING },
      elevenlabs: {},
    });
    mocks.elevenlabs!.faults.rejectUpgrade = 401; // e.g. a revoked key: no reconnect can help
    const yaml = agentYaml(mocks).replace('voices: { en: voice-a } }', 'voices: { en: voice-a }, fallback: { provider: local, voices: { en: en-us } } }');
    rig = await startCall({ yaml, ca: mocks.realtime!.ca });
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    await rig.until('the fallback voice to reach the transport', () => rig!.utteranceStart(1), 8000);
    await rig.until('the turn to be answered', () => rig!.session.record.turns[0]?.outcome === 'answered', 8000);
    const record = await rig.end();
    expect(mocks.elevenlabs!.upgradeAttempts).toBeGreaterThan(0);
    const switched = record.failures.find((f) => f.source === 'tts');
    expect(switched?.message).toMatch(/fallback voice \(local\)/);
    // The key was refused: ElevenLabs over REST would refuse it too, so it is not tried.
    expect(mocks.elevenlabs!.restRequests).toEqual([]);
    expect(record.transcript.at(-1)).toMatchObject({ role: 'assistant', text: PARKING });
    expect(mockViolations(mocks)).toEqual([]);
  });

  // A short reply: over REST the whole of it is synthesised before the first audio, and played out in full.
  const OPENING = 'We open at eight.';

  it('speaks in the same voice over REST when the socket cannot be opened, and stays there for the next reply', async () => {
    mocks = await startMocks({
      realtime: { transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'] },
      chat: { reply: (body) => (/parking/i.test(body.messages.at(-1)?.content ?? '') ? PARKING : OPENING) },
      elevenlabs: {},
    });
    mocks.elevenlabs!.faults.rejectUpgrade = 503; // a proxy that does not pass WebSockets, an outage of the endpoint
    rig = await startCall({ yaml: agentYaml(mocks), ca: mocks.realtime!.ca });
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    await rig.until('the REST voice to reach the transport', () => rig!.utteranceStart(1), 10_000);
    await rig.until('the first turn to be played out', () => rig!.session.states().includes('active.agent.idle.attentive') && rig!.session.record.turns[0]?.outcome === 'answered', 20_000);
    const attemptsAfterFirst = mocks.elevenlabs!.upgradeAttempts;
    expect(attemptsAfterFirst).toBeGreaterThan(1); // the socket was retried before giving up
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));
    await rig.until('the second turn to be answered', () => rig!.session.record.turns[1]?.outcome === 'answered', 20_000);
    const record = await rig.end();

    expect(mocks.elevenlabs!.restRequests.map((r) => [r.voice, r.query.output_format, r.body.text])).toEqual([
      ['voice-a', 'ulaw_8000', OPENING],
      ['voice-a', 'ulaw_8000', PARKING],
    ]);
    // The second reply went straight to REST: no new attempt to open the socket.
    expect(mocks.elevenlabs!.upgradeAttempts).toBe(attemptsAfterFirst);
    const switches = record.failures.filter((f) => f.source === 'tts');
    expect(switches).toHaveLength(1);
    expect(switches[0]!.message).toMatch(/ElevenLabs over REST speaks this utterance \(and the next 30 s of replies\)$/);
    expect(record.transcript.filter((e) => e.role === 'assistant').map((e) => e.text)).toEqual([OPENING, PARKING]);
    expect(mockViolations(mocks)).toEqual([]);
  });
});
