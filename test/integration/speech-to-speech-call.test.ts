// A caller phones a speech-to-speech agent: one OpenAI Realtime session hears them (our VAD ends the turn and
// commits the audio) and answers with its own voice, through the real adapters built by createProviders from
// the agent's YAML, against the loopback Realtime mock. The model's mu-law audio is what the caller hears. Half
// a second into the long answer the caller cuts in: playout pauses, the mock receives `response.cancel` for the
// reply still being generated, then `conversation.item.truncate` cutting the reply's audio item at exactly what
// the caller heard (as the recording transport played it), and the next response sees that cut item followed by
// the interruption note. When the socket drops mid-reply instead, the channel reconnects and the next turn is
// answered in the model's voice, the new session given the history as heard: the broken reply as the words the
// caller heard, in front of the caller's new turn, which stays audio. The mock checks every event it receives:
// its violations must stay empty (and the last test shows it does notice a wrong field name or shape).
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeMulaw } from '../../runtime/audio/g711.js';
import { BROKEN_OFF_NOTE, INTERRUPTION_NOTE } from '../../runtime/call/conversation.js';
import { tokens, tone, type MockConnection, type MockRealtimeScript, type MockReplyContext } from '../mocks/openai-realtime-server.js';
import { closeMocks, ENV, fixtureSpeech, heardMsFrom, HOURS, mockViolations, PARKING, scriptedReply, startCall, startMocks, type CallRig, type Mocks } from './call-rig.js';

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
name: speech-to-speech-integration
inference:
  mode: speech-to-speech
  realtime: { provider: openai, model: gpt-realtime, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:OPENAI_API_KEY}', transcriptionModel: gpt-4o-transcribe, turnDetection: local }
voice: { provider: openai, voices: { en: marin } }
languages: { default: en }
prompt: { system: You are the front desk of a dental clinic. Be brief. }
`;
}

async function startSpeechToSpeech(script: MockRealtimeScript): Promise<{ mocks: Mocks; rig: CallRig }> {
  mocks = await startMocks({ realtime: script });
  rig = await startCall({ yaml: agentYaml(mocks), ca: mocks.realtime!.ca });
  return { mocks, rig };
}

const ofType = (events: ReadonlyArray<Record<string, unknown>>, type: string) => events.filter((event) => event.type === type);

describe('a speech-to-speech call through the real adapter', () => {
  it('speaks the model audio, and a barge-in cancels the response and truncates its item at the heard audio', async () => {
    const seen: MockReplyContext[] = [];
    // 120 ms of audio a token every 60 ms: generated at twice real time, still going when the caller cuts in.
    const { mocks, rig } = await startSpeechToSpeech({ transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'], reply: scriptedReply(seen), deltaIntervalMs: 60, audioMsPerToken: 120 });
    const { transport } = rig;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    // Turn 1: the model's own audio (mu-law at 8 kHz) goes to the transport as it is.
    const first = await rig.until('the first reply to reach the transport', () => rig.utteranceStart(1));
    await rig.until('500 ms of the first reply to be heard', () => heardMsFrom(transport, first) >= 500);
    const realtime = mocks.realtime!.connections[0]!;
    expect(mocks.realtime!.connections).toHaveLength(1);
    expect(realtime.received[0]).toMatchObject({
      type: 'session.update',
      session: { output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: null }, output: { format: { type: 'audio/pcmu' }, voice: 'marin' } } },
    });
    expect([...transport.sent[first]!.samples]).toEqual([...decodeMulaw(tone(120, true)).subarray(0, 160)]);

    // Barge-in: 720 ms of caller speech while the model is still generating.
    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    const interrupted = await rig.until('the barge-in to be confirmed', () => rig.events.find((e) => e.type === 'barge-in' && e.decision === 'interrupted'));
    const clearedAtMs = transport.clears.at(-1)!;
    const heardMs = heardMsFrom(transport, first);

    const second = await rig.until('the second reply to reach the transport', () => rig.utteranceStart(2), 5000);
    await rig.until('the second reply to be played out', () => rig.session.states().includes('active.agent.idle.attentive') && rig.session.record.turns[1]?.outcome === 'answered', 5000);
    const record = await rig.end();

    // Playout paused at the onset; nothing of the first reply was sent after the clear.
    expect(rig.events.some((e) => e.type === 'barge-in' && e.decision === 'paused')).toBe(true);
    expect(transport.sent.slice(first, second).every((frame) => frame.atMs <= clearedAtMs)).toBe(true);

    // The response was cancelled, then its audio item cut where the caller stopped hearing it.
    const [firstResponse] = ofType(realtime.sent, 'response.created').map((event) => (event.response as { id: string }).id);
    const itemId = (ofType(realtime.sent, 'response.output_item.added')[0]!.item as { id: string }).id;
    const edits = realtime.received.filter((event) => event.type === 'response.cancel' || event.type === 'conversation.item.truncate');
    expect(edits).toEqual([
      { type: 'response.cancel', response_id: firstResponse },
      { type: 'conversation.item.truncate', item_id: itemId, content_index: 0, audio_end_ms: expect.any(Number) },
    ]);
    const audioEndMs = edits[1]!.audio_end_ms as number;
    expect(Math.abs(audioEndMs - heardMs)).toBeLessThanOrEqual(40);
    expect(ofType(realtime.sent, 'conversation.item.truncated')).toEqual([expect.objectContaining({ item_id: itemId, audio_end_ms: audioEndMs })]);
    expect(ofType(realtime.sent, 'response.done').map((event) => (event.response as { status: string }).status)).toEqual(['cancelled', 'completed']);

    // The next response sees the cut item (audio up to audio_end_ms, no transcript), the note, then turn 2.
    expect(seen).toHaveLength(2);
    expect(seen[1]!.conversation.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'user', text: 'Could you tell me your opening hours?' },
      { role: 'assistant', text: '' },
      { role: 'system', text: INTERRUPTION_NOTE },
      { role: 'user', text: 'And do you have parking nearby?' },
    ]);
    expect(seen[1]!.conversation[1]!.id).toBe(itemId);
    expect(realtime.conversation.find((item) => item.id === itemId)?.audioMs).toBe(audioEndMs);

    // Our own record keeps the words heard (the transcript laid over the audio), flagged.
    const heardText = interrupted.type === 'barge-in' ? interrupted.record.heardText! : '';
    expect(heardText.length).toBeGreaterThan(0);
    expect(HOURS.startsWith(heardText) && heardText.length < HOURS.length).toBe(true);
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

  it('reconnects after the Realtime socket drops mid-response, restores the history as heard and answers the next turn with model audio', async () => {
    const seen: MockReplyContext[] = [];
    // Three audio deltas ("Sure", ".", " We": 360 ms), one every 250 ms, then the server closes the socket
    // (1011). At that pace the 360 ms received have all been played when the socket drops, so the caller heard
    // exactly the words aligned on them: "Sure." (70 ms a character; " We" starts past the audio received).
    const { mocks, rig } = await startSpeechToSpeech({
      transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'],
      reply: scriptedReply(seen),
      deltaIntervalMs: 250,
      audioMsPerToken: 120,
      fault: { kind: 'close', afterDeltas: 3 },
    });
    const server = mocks.realtime!;
    void rig.say(fixtureSpeech('speech-en-female', 40, 1100));

    await rig.until('the reply failure to be recorded', () => rig.session.record.failures.find((failure) => failure.source === 'reply'), 5000);
    // The mock's script applies to each connection afresh: its fault hits response 0 and its transcripts start
    // over. The reconnected session must be healthy and transcribe the second question (and may answer faster).
    // The channel waits 250 ms before reconnecting; this runs within 10 ms of the failure.
    Object.assign(server.script, { fault: undefined, transcripts: ['And do you have parking nearby?'], deltaIntervalMs: 60 });
    await rig.until('the agent to listen again', () => rig.session.states().includes('active.agent.idle.attentive'));
    // The channel opens a new session after a short back-off; the call is not deaf for the rest of it.
    await rig.until('a new Realtime connection', () => server.connections.length === 2, 3000);
    const first = rig.utteranceStart(1)!;
    const heardFirstMs = heardMsFrom(rig.transport, first);

    void rig.say(fixtureSpeech('speech-en-female', 2180, 2900));
    const second = await rig.until('the second reply to reach the transport', () => rig.utteranceStart(2), 8000);
    await rig.until('the second reply to be played out', () => rig.session.states().includes('active.agent.idle.attentive') && rig.session.record.turns[1]?.outcome === 'answered', 8000);
    // Sent to the transport and not dropped (its last frames may still be in the far end's 40 ms buffer).
    const sentSecondMs = heardMsFrom(rig.transport, second, Number.POSITIVE_INFINITY);
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
    expect(record.failures.filter((failure) => failure.source === 'reply')).toHaveLength(1);
    // The audio that did arrive was played, never more than the 360 ms received; nothing could be truncated
    // on the dead socket.
    expect(second - first).toBeGreaterThan(0);
    expect(heardFirstMs).toBeGreaterThanOrEqual(340);
    expect(heardFirstMs).toBeLessThanOrEqual(360);
    const [dropped, reconnected] = server.connections as [MockConnection, MockConnection];
    expect(ofType(dropped.received, 'conversation.item.truncate')).toEqual([]);

    // The new session speaks: same session settings, and the answer is its own audio, played out.
    expect(reconnected.received[0]).toMatchObject({
      type: 'session.update',
      session: { output_modalities: ['audio'], audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: null }, output: { format: { type: 'audio/pcmu' }, voice: 'marin' } } },
    });
    expect(ofType(reconnected.sent, 'response.done').map((event) => (event.response as { status: string }).status)).toEqual(['completed']);
    expect([...rig.transport.sent[second]!.samples]).toEqual([...decodeMulaw(tone(120, true)).subarray(0, 160)]);
    // All of the answer's audio (7 tokens of 120 ms) went out.
    expect(sentSecondMs).toBeGreaterThanOrEqual(tokens(PARKING).length * 120 - 20);

    // What the caller heard of the broken reply: the words on the audio played, flagged as cut off.
    expect(record.transcript.map((entry) => [entry.role, entry.text, entry.interrupted ?? false])).toEqual([
      ['user', 'Could you tell me your opening hours?', false],
      ['assistant', 'Sure.', true],
      ['user', 'And do you have parking nearby?', false],
      ['assistant', PARKING, false],
    ]);
    // The new session was given the conversation so far before answering: the first question, the broken
    // reply as the words heard (its audio went with the old session: it is restored as text), the note that it
    // broke off, and the second question (committed audio on this session, transcribed).
    expect(seen).toHaveLength(2);
    expect(seen[1]!.index).toBe(0);
    expect(seen[1]!.conversation.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'user', text: 'Could you tell me your opening hours?' },
      { role: 'assistant', text: 'Sure.' },
      { role: 'system', text: BROKEN_OFF_NOTE },
      { role: 'user', text: 'And do you have parking nearby?' },
    ]);
    // Restored by the client: the earlier messages created as text items, in order from the start, in front of
    // the committed audio of the second question, which stays audio (not deleted and re-created as text).
    const committedItem = ofType(reconnected.sent, 'input_audio_buffer.committed')[0]!.item_id as string;
    expect(seen[1]!.conversation[3]!.id).toBe(committedItem);
    expect(ofType(reconnected.received, 'conversation.item.delete')).toEqual([]);
    const creates = ofType(reconnected.received, 'conversation.item.create') as Array<{ previous_item_id?: string; item: { id: string } }>;
    expect(creates.map((event) => event.item)).toEqual([
      expect.objectContaining({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Could you tell me your opening hours?' }] }),
      expect.objectContaining({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sure.' }] }),
      expect.objectContaining({ type: 'message', role: 'system', content: [{ type: 'input_text', text: BROKEN_OFF_NOTE }] }),
    ]);
    expect(creates.map((event) => event.previous_item_id)).toEqual(['root', creates[0]!.item.id, creates[1]!.item.id]);
    expect(mockViolations(mocks)).toEqual([]);
  });

  it('would fail on a wrong field name or shape: the Realtime mock records what a correct client never sends', async () => {
    mocks = await startMocks({ realtime: {} });
    const server = mocks.realtime!;
    const socket = new WebSocket(`${server.baseURL.replace('https:', 'wss:')}/realtime?model=gpt-realtime`, { ca: server.ca, headers: { Authorization: `Bearer ${ENV.OPENAI_API_KEY}` } });
    await new Promise<void>((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'response.cancel', responseId: 'resp_1' }));
    socket.send(JSON.stringify({ type: 'conversation.item.truncate', item_id: 'item_1', content_index: 0, audio_end_ms: 412.5 }));
    socket.send(JSON.stringify({ type: 'session.update', session: { type: 'realtime', turn_detection: null } }));
    await new Promise<void>((resolve) => {
      const check = () => (server.violations.length >= 3 ? resolve() : setTimeout(check, 10));
      check();
    });
    socket.close();
    expect(server.violations).toEqual([
      '#0: response.cancel.responseId: unknown field',
      '#0: conversation.item.truncate.audio_end_ms: expected an integer, got 412.5',
      '#0: session.update.session.turn_detection: unknown field',
    ]);
  });
});
