// The mock is only worth its empty `violations` if it notices mistakes: a raw client that breaks the protocol in
// every way the adapter must not, and the mock's list of complaints.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startElevenLabsMock, type ElevenLabsMock } from '../../mocks/elevenlabs-server.js';
import { until } from './speak.js';

let mock: ElevenLabsMock;

beforeEach(async () => {
  mock = await startElevenLabsMock();
});

afterEach(async () => {
  await mock.close();
});

it('records every protocol violation a client commits', async () => {
  const url = `${mock.baseURL.replace('http', 'ws')}/v1/text-to-speech/v/multi-stream-input?model_id=m&output_format=mp3_44100_128&inactivity_timeout=500&colour=blue`;
  const ws = new WebSocket(url, { headers: { 'xi-api-key': 'test-key' } });
  await new Promise((resolve, reject) => ws.on('open', resolve).on('error', reject));
  const bad = [
    { text: 'Hello ', context_id: 'a' }, // no init first
    { text: ' ', context_id: 'b', voice_settings: { similarityBoost: 0.5 } }, // camelCase setting
    { text: 'no trailing space', context_id: 'b' },
    { text: 'Hi ', context_id: 'b', voice_settings: { stability: 0.5 } }, // settings after the first message
    { text: 'Hi ', context_id: 'b', try_trigger_generation: true }, // unknown field
    { text: 'Hi ' }, // no context_id
    { context_id: 'b', close_context: true },
    { text: 'late ', context_id: 'b' }, // after close_context
  ];
  for (const message of bad) ws.send(JSON.stringify(message));
  ws.send('not json');
  await until(() => mock.violations.length >= 10, 1000, 'violations');
  ws.close();
  const all = mock.violations.join('\n');
  for (const expected of [
    'output_format mp3_44100_128',
    'inactivity_timeout 500',
    'unknown parameter colour',
    'a context must start with {text: " "}',
    'voice_settings field "similarityBoost"',
    'text must end with a space',
    'voice_settings/generation_config after the first message',
    'unknown field "try_trigger_generation"',
    'context_id missing',
    'a message for a context after close_context',
    'not JSON',
  ]) {
    expect(all).toContain(expected);
  }
});

it('refuses a wrong key with HTTP 401', async () => {
  const ws = new WebSocket(`${mock.baseURL.replace('http', 'ws')}/v1/text-to-speech/v/multi-stream-input?model_id=m&output_format=ulaw_8000`, { headers: { 'xi-api-key': 'nope' } });
  const error = await new Promise<Error>((resolve) => ws.on('error', resolve));
  expect(error.message).toContain('401');
  expect(mock.authFailures).toBe(1);
});
