/*
 * What the server tests' callers say and hear: caller speech from the committed espeak-ng fixtures, what a
 * Twilio test client heard of an utterance according to the marks it echoed as played, and warm-up calls.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readWav } from '../../runtime/audio/wav.js';
import type { TwilioTestClient } from '../mocks/twilio-client.js';
import { connectWebSocketCall } from '../mocks/websocket-call-client.js';

/**
 * `fromMs`-`toMs` of the 8 kHz female fixture: "Could you tell me your opening hours?" over 40-1900 ms and
 * "And do you have parking nearby." over 2180-4250 ms (as the WebRTC VAD hears them).
 */
export function callerSpeech(fromMs: number, toMs: number): Int16Array {
  const path = fileURLToPath(new URL('../fixtures/audio/speech-en-female.wav', import.meta.url));
  return readWav(readFileSync(path), path).channels[0]!.slice(fromMs * 8, toMs * 8);
}

/**
 * How much of utterance `id` the Twilio client confirmed played, ms: the furthest position among the marks
 * (`<utterance>:<samples>`, 8 kHz) it echoed because their audio played (not because a `clear` dropped them).
 */
export function confirmedMs(client: TwilioTestClient, id: number): number {
  const samples = client.marks.filter((m) => !m.cleared && m.name.startsWith(`${id}:`) && !m.name.endsWith(':end')).map((m) => Number(m.name.split(':')[1]));
  return Math.max(0, ...samples) / 8;
}

/** The utterance ids the server marked (`<id>:<samples>` and `<id>:end`), in order of first appearance. */
export function utteranceIds(client: TwilioTestClient): number[] {
  const ids: number[] = [];
  for (const received of client.messagesOf('mark')) {
    const name = (received.message?.mark as { name?: string } | undefined)?.name ?? '';
    const id = Number(name.split(':')[0]);
    if (Number.isInteger(id) && !ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * Places `calls` short native WebSocket calls (`?warmup=1`, in their records' parameters) that each wait for the
 * greeting's first audio and hang up. A fresh server (each worker) starts its offline voice's synthesis thread on
 * its first call, which holds that greeting back 2-3 s when run from the sources; tests that time calls or
 * start many at once warm the server first. Resolves with the warm-up calls' ids.
 */
export async function warmUp(websocketUrl: string, calls: number): Promise<string[]> {
  const clients = await Promise.all(Array.from({ length: calls }, () => connectWebSocketCall(`${websocketUrl}?rate=8000&warmup=1`, { sampleRate: 8000 })));
  try {
    return await Promise.all(
      clients.map(async (client) => {
        await client.waitFor((m) => m.type === 'audio', 20_000, 'the warm-up greeting');
        client.send({ type: 'hangup' });
        await client.waitFor((m) => m.type === 'ended', 5000, 'the warm-up call ended');
        return client.record!.callId;
      }),
    );
  } finally {
    for (const client of clients) client.close();
  }
}
