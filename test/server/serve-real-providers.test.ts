/*
 * `voiceagent serve` with real providers (no --offline), one phone call per inference mode: cascade,
 * dualplex and speech-to-speech agents are served by one child process whose adapters talk to the loopback
 * mocks of OpenAI Realtime (TLS with a self-signed certificate, trusted through NODE_EXTRA_CA_CERTS), Chat
 * Completions and ElevenLabs, with the keys in the child's environment only.
 *
 * Each call is placed by a test Twilio over the real Media Streams protocol. The caller hears the greeting to
 * its end; asks about opening hours (the Realtime mock's transcript says so) and hears the long answer start;
 * half a second in, cuts in about parking: the `clear` comes, and the record's heard text for the cut answer is
 * the audio the caller's echoed marks confirm (ElevenLabs' mock speaks 40 ms a character; in speech-to-speech
 * the model's item is truncated at that same position). The parking answer is heard in full, a key is pressed,
 * `stop` hangs up, and the record is on disk with no failures and no protocol violation at any mock.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../runtime/call/call-record.js';
import { cascadeSections, closeMocks, ENV, HOURS, mockViolations, PARKING, startMocks, type Mocks } from '../integration/call-rig.js';
import type { MockReplyContext } from '../mocks/openai-realtime-server.js';
import { connectTwilioClient } from '../mocks/twilio-client.js';
import { callerSpeech, confirmedMs } from './callers.js';
import { killServes, makeDataDir, readRecords, removeDataDirs, sleep, startServe, until, type ServeProcess } from './serve-process.js';

const GREETING = 'Hello, Bright Smile Dental.';
/** `bargeIn.pauseAfterMs` of the agents (the default). */
const PAUSE_AFTER_MS = 80;
/** Audio per character of the ElevenLabs mock, ms. */
const MS_PER_CHAR = 40;

let mocks: Mocks;
let serve: ServeProcess;
let data: string;
/** The agent files and the Realtime mock's certificate. */
let agentDir: string;

/** The three agents, each on the mocks, greeting with {@link GREETING}. */
function agents(m: Mocks): Record<string, string> {
  const prompt = `prompt: { system: You are the front desk of a dental clinic. Be brief., greeting: '${GREETING}' }`;
  const realtime = `{ provider: openai, model: gpt-realtime, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:OPENAI_API_KEY}', transcriptionModel: gpt-4o-transcribe, turnDetection: local }`;
  return {
    cascade: `apiVersion: voiceagent/v1\nname: cascade\ninference: { mode: cascade }\n${cascadeSections(m).replace(/^prompt:.*$/m, prompt)}`,
    dualplex: `apiVersion: voiceagent/v1
name: dualplex
inference:
  mode: dualplex
  realtime: ${realtime}
voice: { provider: elevenlabs, baseURL: '${m.elevenlabs!.baseURL}', apiKey: '\${env:ELEVENLABS_API_KEY}', voices: { en: voice-a } }
languages: { default: en }
${prompt}
`,
    'speech-to-speech': `apiVersion: voiceagent/v1
name: speech-to-speech
inference:
  mode: speech-to-speech
  realtime: ${realtime}
voice: { provider: openai, voices: { en: marin } }
languages: { default: en }
# The mock model speaks a steady 440 Hz tone, on which the echo gate's delay estimate locks onto a spurious
# delay and holds a caller's onset back until the turn commits (~360 ms, not pauseAfterMs): the line here has
# no echo, so it is trusted.
echo: { mode: off }
${prompt}
`,
  };
}

beforeAll(async () => {
  // The model says a fixed text word for word (the speech-to-speech greeting); else it answers from the last caller line.
  const reply = (context: MockReplyContext): string => {
    if (context.instructions.startsWith('Say exactly')) return GREETING;
    const lastUser = context.conversation.filter((item) => item.role === 'user').at(-1)?.text ?? '';
    return /parking/i.test(lastUser) ? PARKING : HOURS;
  };
  mocks = await startMocks({
    realtime: { transcripts: ['Could you tell me your opening hours?', 'And do you have parking nearby?'], reply, deltaIntervalMs: 60, audioMsPerToken: 120 },
    chat: { reply: (body) => (/parking/i.test(body.messages.at(-1)?.content ?? '') ? PARKING : HOURS), tokenIntervalMs: 60 },
    elevenlabs: {},
  });
  const dir = (agentDir = mkdtempSync(join(tmpdir(), 'voiceagent-serve-agents-')));
  const files = Object.entries(agents(mocks)).map(([name, yaml]) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    return file;
  });
  const ca = join(dir, 'realtime-ca.pem');
  writeFileSync(ca, mocks.realtime!.ca);
  data = makeDataDir();
  serve = await startServe(['--port', '0', '--workers', '1', '--data', data, ...files], { env: { ...ENV, NODE_EXTRA_CA_CERTS: ca } });
}, 30_000);

afterAll(async () => {
  await killServes();
  await closeMocks(mocks);
  removeDataDirs();
  rmSync(agentDir, { recursive: true, force: true });
});

describe.concurrent('voiceagent serve against the provider mocks: one Twilio call per inference mode', () => {
  for (const mode of ['cascade', 'dualplex', 'speech-to-speech'] as const) {
    it(`${mode}: greeting, an answer cut by a barge-in at the heard words, an answer, DTMF, hangup, the record on disk`, { timeout: 40_000 }, async () => {
      const endpoints = serve.listening.agents.find((a) => a.agent === mode)!;
      const callSid = `CA${mode.replace(/-/g, '')}`.padEnd(34, '0');
      const client = await connectTwilioClient({ url: endpoints.twilio, callSid, customParameters: { mode } });
      try {
        client.start();
        client.startStreaming();
        await client.until(`${mode}: the greeting played to its end`, () => client.marks.find((m) => m.name === '1:end' && !m.cleared), 10_000);

        // The question; the long answer (utterance 2) starts and half a second of it is heard.
        await client.say(callerSpeech(40, 1100));
        await client.until(`${mode}: 500 ms of the answer heard`, () => confirmedMs(client, 2) >= 500, 10_000);

        // The caller cuts in: the clear comes in the tick of the chunk that completed pauseAfterMs of speech
        // (the line's speech starts in its first chunk), and no more of the answer follows it.
        const cutting = client.say(callerSpeech(2180, 2900));
        const clear = await client.until(`${mode}: the clear`, () => client.messagesOf('clear')[0], 5000);
        const line = await cutting;
        const chunksBeforeClear = line.sentAtMs.filter((at) => at <= clear.atMs);
        expect(chunksBeforeClear.length * 20).toBeGreaterThanOrEqual(PAUSE_AFTER_MS);
        expect(chunksBeforeClear.length * 20).toBeLessThanOrEqual(PAUSE_AFTER_MS + 40);
        expect(clear.atMs - chunksBeforeClear.at(-1)!).toBeLessThan(20);
        const answerMarksAfterClear = client.messagesOf('mark').filter((m) => m.atMs > clear.atMs && String((m.message?.mark as { name?: string })?.name).startsWith('2:'));
        expect(answerMarksAfterClear).toEqual([]);

        // The parking answer (utterance 3) is heard in full.
        await client.until(`${mode}: the second answer played to its end`, () => client.marks.find((m) => m.name === '3:end' && !m.cleared), 10_000);
        client.dtmf('3');
        await sleep(150);
        client.stop();
        expect((await client.closed).code).toBe(1000);
      } finally {
        client.close();
      }

      const record = await until<CallRecord>(`${mode}: the record on disk`, () => readRecords(data).find((r) => r.transport?.ids?.callSid === callSid), 5000);
      expect(record.agent).toMatchObject({ name: mode, mode });
      expect(record.endReason).toBe('caller-hangup');
      expect(record.failures).toEqual([]);
      expect(record.dtmf.map((d) => d.digit)).toEqual(['3']);
      expect(record.transport).toMatchObject({ transport: 'twilio', ids: { streamSid: client.streamSid, callSid }, parameters: { mode } });
      expect(record.turns.map((t) => t.outcome)).toEqual(['interrupted', 'answered']);

      // What the record keeps of the cut answer is what the echoed marks confirm the caller heard.
      const heardMs = confirmedMs(client, 2);
      const interrupt = record.bargeIns.find((b) => b.kind === 'interrupt')!;
      const heardText = interrupt.heardText!;
      expect(heardText.length).toBeGreaterThan(0);
      expect(HOURS.startsWith(heardText) && heardText.length < HOURS.length).toBe(true);
      if (mode === 'speech-to-speech') {
        // The model's audio item is truncated at the heard position (its transcript is laid over that audio).
        const connection = mocks.realtime!.connections.find((c) => c.kind === 'realtime' && (c.received[0]?.session as { output_modalities?: string[] })?.output_modalities?.[0] === 'audio')!;
        const truncate = connection.received.find((event) => event.type === 'conversation.item.truncate')!;
        expect(Math.abs((truncate.audio_end_ms as number) - heardMs)).toBeLessThanOrEqual(40);
      } else {
        // ElevenLabs' mock: 40 ms a character; the heard words end by the confirmed position, the next does not.
        expect(heardText.length * MS_PER_CHAR).toBeLessThanOrEqual(heardMs + MS_PER_CHAR);
        expect(HOURS.indexOf(' ', heardText.length + 1) * MS_PER_CHAR).toBeGreaterThan(heardMs - MS_PER_CHAR);
      }
      expect(record.transcript.map((entry) => [entry.role, entry.text, entry.interrupted ?? false])).toEqual([
        ['assistant', GREETING, false],
        ['user', 'Could you tell me your opening hours?', false],
        ['assistant', heardText, true],
        ['user', 'And do you have parking nearby?', false],
        ['assistant', PARKING, false],
      ]);
      expect(client.violations).toEqual([]);
      expect(mockViolations(mocks)).toEqual([]);
    });
  }
});
