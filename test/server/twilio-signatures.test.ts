/*
 * Only Twilio can place a call on a server that knows its auth token. With TWILIO_AUTH_TOKEN set (here on
 * loopback), `voiceagent serve` checks X-Twilio-Signature on the TwiML webhook and on the Media Streams
 * upgrade. The test signs requests itself with node:crypto, exactly as Twilio does (base64 of HMAC-SHA1 over
 * the URL followed by each POST parameter's name and value, sorted by name; the stream's upgrade signs its
 * `ws(s)://host/path` URL with no parameters): a valid signature is taken on both; a wrong one, a missing one,
 * or a valid one replayed to another path (another agent, or the webhook's signature on the stream) gets 403,
 * and nothing starts: no record is written, and /metrics counts no call. Behind a proxy (`--public-url
 * https://voice.example.com`) the signature Twilio made over the public URL is the one accepted.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connectTwilioClient } from '../mocks/twilio-client.js';
import { callsTotal, filesUnder, get, killServes, makeDataDir, readRecords, removeDataDirs, startServe, until, type ServeProcess } from './serve-process.js';

const AUTH_TOKEN = 'twilio-auth-token-of-the-tests';
const AGENTS = ['agents/receptionist.yaml', 'agents/dispatch.yaml'];
const FORM = { CallSid: 'CA0000000000000000000000000000sig1', AccountSid: 'AC7', From: '+15550100', To: '+15550199', CallStatus: 'ringing' };

/** X-Twilio-Signature of a request to `url` with POST `params`, as Twilio computes it. */
function sign(url: string, params: Readonly<Record<string, string>> = {}, token = AUTH_TOKEN): string {
  const data = url + Object.keys(params).sort().map((name) => name + params[name]).join('');
  return createHmac('sha1', token).update(data, 'utf8').digest('base64');
}

/** POSTs the webhook form to `url` with `signature` (none when undefined). */
async function postWebhook(url: string, signature: string | undefined, form: Readonly<Record<string, string>> = FORM): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: signature === undefined ? {} : { 'X-Twilio-Signature': signature },
    signal: AbortSignal.timeout(5000),
  });
  return { status: response.status, body: await response.text() };
}

/** The status of a WebSocket upgrade to `url` (101 when taken; the socket is closed at once). */
function upgradeStatus(url: string, signature: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: signature === undefined ? {} : { 'X-Twilio-Signature': signature } });
    const timer = setTimeout(() => reject(new Error(`no answer to the upgrade of ${url}`)), 5000);
    socket.once('open', () => {
      clearTimeout(timer);
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** A short Twilio call over an accepted upgrade: start, a second of the greeting, stop. Resolves with its record. */
async function shortCall(serve: ServeProcess, data: string, url: string, signature: string, callSid: string) {
  const client = await connectTwilioClient({ url, headers: { 'X-Twilio-Signature': signature }, callSid });
  try {
    client.start();
    client.startStreaming();
    await client.until('greeting audio', () => client.messagesOf('media').length >= 10, 10_000);
    client.stop();
    await client.closed;
  } finally {
    client.close();
  }
  return until('the record on disk', () => readRecords(data).find((r) => r.transport?.ids?.callSid === callSid), 5000);
}

afterAll(async () => {
  await killServes();
  removeDataDirs();
});

describe('with TWILIO_AUTH_TOKEN set, on loopback', () => {
  let serve: ServeProcess;
  let data: string;
  let twiml: string;
  let stream: string;

  beforeAll(async () => {
    data = makeDataDir();
    serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--data', data, ...AGENTS], { env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
    twiml = `${serve.url}/twilio/receptionist/twiml`;
    stream = `${serve.ws}/twilio/receptionist`;
  }, 30_000);

  it('refuses the webhook with 403 for a wrong, missing, tampered or replayed signature, and answers a valid one', async () => {
    expect((await postWebhook(twiml, sign(twiml, FORM, 'not-the-token'))).status).toBe(403);
    expect((await postWebhook(twiml, undefined)).status).toBe(403);
    expect((await postWebhook(twiml, sign(twiml, FORM), { ...FORM, From: '+15550666' })).status).toBe(403);
    // Replayed: signed for another agent's webhook, or for this one without its query.
    expect((await postWebhook(twiml, sign(`${serve.url}/twilio/dispatch/twiml`, FORM))).status).toBe(403);
    expect((await postWebhook(`${twiml}?campaign=spring`, sign(twiml, FORM))).status).toBe(403);
    const refused = await postWebhook(twiml, 'Zm9yZ2Vk');
    expect(refused).toEqual({ status: 403, body: 'bad or missing X-Twilio-Signature\n' });

    const valid = await postWebhook(twiml, sign(twiml, FORM));
    expect(valid.status).toBe(200);
    expect(valid.body).toContain(`<Stream url="${stream}">`);
    expect(valid.body).toContain('<Parameter name="CallSid" value="CA0000000000000000000000000000sig1"/>');
    // A GET signs its URL with the query and no parameters.
    const withQuery = `${twiml}?CallSid=CA1&From=%2B15550100`;
    const viaGet = await fetch(withQuery, { headers: { 'X-Twilio-Signature': sign(withQuery) }, signal: AbortSignal.timeout(5000) });
    expect(viaGet.status).toBe(200);
    expect(await viaGet.text()).toContain('<Parameter name="From" value="+15550100"/>');
    await until('six refusals logged', () => serve.logs().filter((line) => line.msg === 'twilio webhook refused: bad or missing signature').length === 6, 2000);
    // Webhooks start no call.
    expect(filesUnder(data)).toEqual([]);
  });

  it('refuses the stream upgrade with 403 for a wrong, missing or replayed signature, starting nothing', async () => {
    const before = await callsTotal(serve.url);
    expect(await upgradeStatus(stream, sign(stream, {}, 'not-the-token'))).toBe(403);
    expect(await upgradeStatus(stream, undefined)).toBe(403);
    expect(await upgradeStatus(stream, sign(`${serve.ws}/twilio/dispatch`))).toBe(403);
    // The webhook's signature replayed on the stream, and the stream's signed over http:// instead of ws://.
    expect(await upgradeStatus(stream, sign(twiml, FORM))).toBe(403);
    expect(await upgradeStatus(stream, sign(`${serve.url}/twilio/receptionist`))).toBe(403);
    // Each refusal is logged (the log line reaches the pipe a moment after the answer).
    await until('five refusals logged', () => serve.logs().filter((line) => line.msg === 'twilio stream refused: bad or missing signature').length === 5, 2000);
    expect(filesUnder(data)).toEqual([]);
    expect(await callsTotal(serve.url)).toBe(before);
    expect((await get(`${serve.url}/healthz`)).body).toContain('"activeCalls":0');
    expect(serve.logs().filter((line) => line.msg === 'call started')).toEqual([]);
  });

  it('takes the stream when the upgrade is signed over ws://host/twilio/agent, and the call runs to its record', { timeout: 20_000 }, async () => {
    const before = await callsTotal(serve.url);
    const record = await shortCall(serve, data, stream, sign(stream), 'CA0000000000000000000000000000sig2');
    expect(record.endReason).toBe('caller-hangup');
    expect(record.agent.name).toBe('receptionist');
    expect(await callsTotal(serve.url)).toBe(before + 1);
    // The other agent's stream takes its own signature.
    expect(await upgradeStatus(`${serve.ws}/twilio/dispatch`, sign(`${serve.ws}/twilio/dispatch`))).toBe(101);
  });
});

describe('with TWILIO_AUTH_TOKEN and --public-url https://voice.example.com', () => {
  const PUBLIC = 'https://voice.example.com';
  let serve: ServeProcess;
  let data: string;

  beforeAll(async () => {
    data = makeDataDir();
    serve = await startServe(['--offline', '--port', '0', '--workers', '1', '--public-url', PUBLIC, '--data', data, AGENTS[0]!], { env: { TWILIO_AUTH_TOKEN: AUTH_TOKEN } });
  }, 30_000);

  it('accepts signatures over the public URL (webhook and stream) and refuses those over the local one', { timeout: 20_000 }, async () => {
    const local = `${serve.url}/twilio/receptionist/twiml`;
    const publicTwiml = `${PUBLIC}/twilio/receptionist/twiml`;
    const publicStream = 'wss://voice.example.com/twilio/receptionist';
    expect(serve.listening.agents[0]).toMatchObject({ twiml: publicTwiml, twilio: publicStream });

    expect((await postWebhook(local, sign(local, FORM))).status).toBe(403);
    const valid = await postWebhook(local, sign(publicTwiml, FORM));
    expect(valid.status).toBe(200);
    expect(valid.body).toContain(`<Stream url="${publicStream}">`);

    expect(await upgradeStatus(`${serve.ws}/twilio/receptionist`, sign(`${serve.ws}/twilio/receptionist`))).toBe(403);
    expect(filesUnder(data)).toEqual([]);
    const record = await shortCall(serve, data, `${serve.ws}/twilio/receptionist`, sign(publicStream), 'CA0000000000000000000000000000sig3');
    expect(record.endReason).toBe('caller-hangup');
  });
});
