/*
 * bench:serve's CPU breakdown: what each part of a served Twilio call costs per call-second, measured in this
 * process on the same frame streams the load test sends and receives, so the next optimisation is obvious.
 *
 * Per call-second a call handles 50 caller frames in and `outboundFramesPerSecond` agent frames out (taken
 * from the load test: media messages received / call-seconds). Parts, each with the runtime's own code:
 *   - protocol: parseTwilioMessage of each caller `media` message and of each echoed `mark` (one per agent
 *     frame), and mediaMessage + markMessage for each agent frame (JSON.stringify);
 *   - codecs: base64 + mu-law decode of each caller payload (TwilioInboundAudio.receive), mu-law encode +
 *     base64 of each agent frame (as the Twilio transport does);
 *   - resampling (eSpeak voice): the offline voice's 22050 Hz output to 8 kHz, per second of agent audio;
 *   - voice downlink (ElevenLabs voice): each audio message as the mock sends it (10 characters, 400 ms of
 *     mu-law with their alignment) parsed with parseServerMessage and decoded with the adapter's decoder;
 *   - VAD: the agent's `turnTaking.vad` (WebRTC + noise gate by default) on each caller frame;
 *   - echo gate: the agent's `echo` handler on each caller frame and agent frame;
 *   - chart and playout: whole calls on a simulated clock minus their VAD and echo gate
 *     (bench/serve-breakdown-session.ts);
 *   - eSpeak synthesis (eSpeak voice): the offline voice's phrase synthesis, per second of agent audio (on
 *     the synthesis thread in the server: off the call loop, but on the same cores);
 *   - recogniser uplink (mocks mode only): each caller frame encoded for the transcription socket (mu-law,
 *     base64, `input_audio_buffer.append` JSON);
 *   - WebSocket receive and send: per message on a real loopback socket (bench/serve-breakdown-socket.ts):
 *     each caller `media` and `mark` echo received; each agent `media` and `mark` sent, and in mocks mode each
 *     recogniser append sent (as plain WebSocket: its TLS encryption is not in the figure).
 * Not measured here, so left in the remainder of the measured server CPU: TLS to the recogniser, Node's
 * timers, garbage collection, logs, metrics, call records, and the calls' setup and teardown.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createVad } from '../runtime/audio/create-vad.js';
import { createEchoHandler } from '../runtime/audio/echo.js';
import { encodeMulaw, encodeMulawInto } from '../runtime/audio/g711.js';
import { readWav } from '../runtime/audio/wav.js';
import type { AgentSpec } from '../runtime/dsl/index.js';
import { createAudioDecoder } from '../runtime/providers/elevenlabs/audio-decoder.js';
import { parseServerMessage, planOutput } from '../runtime/providers/elevenlabs/wire.js';
import { InputEncoder } from '../runtime/providers/openai/realtime-audio.js';
import { ESPEAK_SAMPLE_RATE_HZ, loadEspeakEngine } from '../runtime/providers/local/espeak-engine.js';
import { resample } from '../runtime/providers/local/resample.js';
import { TwilioInboundAudio } from '../runtime/transports/twilio/inbound-audio.js';
import { markMessage, mediaMessage, parseTwilioMessage } from '../runtime/transports/twilio/messages.js';
import { measureSessions, synthesiseOnce } from './serve-breakdown-session.js';
import { measureSocketCosts } from './serve-breakdown-socket.js';

/** One part's cost. */
export interface BreakdownPart {
  readonly part: string;
  /** CPU per call-second, µs. */
  readonly usPerCallSecond: number;
  /** How it was counted. */
  readonly detail: string;
}

/** Options of {@link measureBreakdown}. */
export interface BreakdownOptions {
  readonly spec: AgentSpec;
  /** Agent frames sent per call-second in the load test. */
  readonly outboundFramesPerSecond: number;
  /** Include the recogniser uplink (the transcription socket of mocks mode). */
  readonly sttUplink: boolean;
  /** The voice: eSpeak in the server (synthesis and resampling), or ElevenLabs over its socket (decoding). */
  readonly voice: 'espeak' | 'elevenlabs';
  /** Simulated calls for the chart-and-playout share. Default: 40. */
  readonly sessionCalls?: number;
}

const STREAM_SID = 'MZ00000000000000000000000000000000';

/** CPU per iteration of `fn`, µs: repeated for at least `minMs` of CPU after a warm-up. */
function cpuUsPer(fn: (i: number) => void, minMs = 250): number {
  for (let i = 0; i < 200; i++) fn(i);
  let iterations = 0;
  const start = process.cpuUsage();
  let used = 0;
  while (used < minMs * 1000) {
    for (let k = 0; k < 500; k++) fn(iterations++);
    const now = process.cpuUsage(start);
    used = now.user + now.system;
  }
  return used / iterations;
}

/** The caller's side of one 8 s call as the load test sends it: its line from 1 s, silence around it. */
function callerStream(): { frames: Int16Array[]; speech: Int16Array[] } {
  const path = fileURLToPath(new URL('../test/fixtures/audio/speech-en-female.wav', import.meta.url));
  const pcm = readWav(readFileSync(path), path).channels[0]!.slice(40 * 8, 1900 * 8);
  const speech: Int16Array[] = [];
  for (let at = 0; at + 160 <= pcm.length; at += 160) speech.push(pcm.slice(at, at + 160));
  const silence = new Int16Array(160);
  const frames = [...Array.from({ length: 50 }, () => silence), ...speech, ...Array.from({ length: 400 - 50 - speech.length }, () => silence)];
  return { frames, speech };
}

/** Measures every part; figures are µs per call-second. */
export async function measureBreakdown(options: BreakdownOptions): Promise<BreakdownPart[]> {
  const { spec } = options;
  const inPerSecond = 50;
  const outPerSecond = options.outboundFramesPerSecond;
  const { frames, speech } = callerStream();
  const greetingText = typeof spec.prompt.greeting === 'string' ? spec.prompt.greeting : Object.values(spec.prompt.greeting ?? {})[0] ?? 'Hello, how can I help you today?';
  const greeting = await synthesiseOnce(greetingText, 'en-us', spec.languages.default);
  const agentPcm = Int16Array.from(greeting.flatMap((chunk) => Array.from(chunk.pcm)));
  const agentFrames: Int16Array[] = [];
  for (let at = 0; at + 160 <= agentPcm.length; at += 160) agentFrames.push(agentPcm.subarray(at, at + 160));
  const payloads = frames.map((frame) => Buffer.from(encodeMulaw(frame)).toString('base64'));
  const mediaTexts = payloads.map(
    (payload, i) => `{"event":"media","sequenceNumber":"${i + 3}","streamSid":"${STREAM_SID}","media":{"track":"inbound","chunk":"${i + 1}","timestamp":"${i * 20}","payload":"${payload}"}}`,
  );
  const markText = (i: number) => `{"event":"mark","sequenceNumber":"${i + 3}","streamSid":"${STREAM_SID}","mark":{"name":"1:${(i + 1) * 160}"}}`;
  const parts: BreakdownPart[] = [];
  const add = (part: string, usPerCallSecond: number, detail: string) => parts.push({ part, usPerCallSecond, detail });

  const parseIn = cpuUsPer((i) => parseTwilioMessage(mediaTexts[i % mediaTexts.length]!));
  const parseMark = cpuUsPer((i) => parseTwilioMessage(markText(i % 400)));
  const agentPayload = Buffer.from(encodeMulaw(agentFrames[0]!)).toString('base64');
  const build = cpuUsPer((i) => {
    mediaMessage(STREAM_SID, agentPayload);
    markMessage(STREAM_SID, `1:${i * 160}`);
  });
  add('protocol (Twilio JSON)', inPerSecond * parseIn + outPerSecond * (parseMark + build), `parse ${parseIn.toFixed(2)} µs/media in, ${parseMark.toFixed(2)} µs/mark echo, build ${build.toFixed(2)} µs/frame out (media + mark)`);

  // The voice's audio messages (ElevenLabs) are few, 2.5 a second of agent audio: left out of the socket counts.
  const sockets = await measureSocketCosts(mediaTexts[60]!, mediaMessage(STREAM_SID, agentPayload));
  add('WebSocket receive (read + unframe)', (inPerSecond + outPerSecond) * sockets.receiveUs, `${sockets.receiveUs.toFixed(1)} µs/message: ${inPerSecond} media + ${outPerSecond.toFixed(0)} mark echoes a second`);
  const sends = 2 * outPerSecond + (options.sttUplink ? inPerSecond : 0);
  add('WebSocket send (frame + write syscall)', sends * sockets.sendUs, `${sockets.sendUs.toFixed(1)} µs/message: ${(2 * outPerSecond).toFixed(0)} media + marks${options.sttUplink ? `, ${inPerSecond} recogniser appends (TLS not included)` : ''} a second`);

  const inbound = new TwilioInboundAudio(2000);
  let chunk = 0;
  const decode = cpuUsPer((i) => inbound.receive(payloads[i % payloads.length]!, ++chunk, () => {}));
  const encoded = Buffer.alloc(160);
  const encode = cpuUsPer((i) => {
    encodeMulawInto(agentFrames[i % agentFrames.length]!, encoded);
    encoded.toString('base64', 0, 160);
  });
  add('codecs (mu-law + base64)', inPerSecond * decode + outPerSecond * encode, `decode ${decode.toFixed(2)} µs/frame in, encode ${encode.toFixed(2)} µs/frame out`);

  const agentSecondsPerCallSecond = (outPerSecond * 20) / 1000;
  if (options.voice === 'espeak') {
    const espeak = await espeakCosts(greetingText, spec.languages.default);
    add('resampling (eSpeak 22.05 -> 8 kHz)', agentSecondsPerCallSecond * espeak.resampleUs, `${(espeak.resampleUs / 1000).toFixed(2)} ms per second of agent audio`);
    add('eSpeak synthesis (synthesis thread)', agentSecondsPerCallSecond * espeak.synthUs, `${(espeak.synthUs / 1000).toFixed(1)} ms per second of agent audio`);
  } else {
    const message = elevenLabsAudioMessage(agentPcm.subarray(0, 3200));
    const decoder = createAudioDecoder(planOutput(8000), { emit: () => {}, fail: () => {} });
    const downlink = cpuUsPer(() => {
      const parsed = parseServerMessage(message);
      if (parsed?.kind === 'audio') decoder.push(parsed.audio, parsed.alignment);
    });
    // 2.5 messages a second of agent audio (400 ms each), each also received on the socket.
    add('voice downlink (ElevenLabs JSON + base64 + mu-law)', agentSecondsPerCallSecond * 2.5 * downlink, `${downlink.toFixed(1)} µs per 400 ms audio message`);
  }

  const vad = await createVad(spec.turnTaking.vad, { sampleRate: 8000 });
  const vadUs = cpuUsPer((i) => vad.speechProbability(frames[i % frames.length]!));
  void vad.close();
  add(`VAD (${spec.turnTaking.vad.engine}${spec.turnTaking.vad.noiseGate.enabled ? ' + noise gate' : ''})`, inPerSecond * vadUs, `${vadUs.toFixed(2)} µs/frame in`);

  const echo = createEchoHandler({ ...spec.echo, sampleRate: 8000 });
  const echoOut = cpuUsPer((i) => echo.onOutbound(agentFrames[i % agentFrames.length]!));
  const echoIn = cpuUsPer((i) => echo.process(frames[i % frames.length]!));
  add(`echo gate (${spec.echo.mode})`, inPerSecond * echoIn + outPerSecond * echoOut, `${echoIn.toFixed(2)} µs/frame in, ${echoOut.toFixed(2)} µs/frame out`);

  const sessions = await measureSessions(spec, greeting, speech, { calls: options.sessionCalls ?? 40, holdMs: 8000, bargeInMs: 1000 });
  const echoInSession = sessions.inboundFrames * echoIn + sessions.outboundFrames * echoOut;
  const chart = Math.max(0, sessions.totalUs - sessions.vadUs - echoInSession) / sessions.callSeconds;
  add('chart and playout', chart, `simulated calls: ${((sessions.totalUs / sessions.callSeconds) | 0)} µs/call-s in all, minus VAD ${(sessions.vadUs / sessions.callSeconds) | 0} and echo gate ${(echoInSession / sessions.callSeconds) | 0}; ${(sessions.outboundFrames / sessions.callSeconds).toFixed(1)} frames out/s there`);


  if (options.sttUplink) {
    const encoder = new InputEncoder('pcmu', 8000);
    await encoder.ready;
    const uplink = cpuUsPer((i) => JSON.stringify({ type: 'input_audio_buffer.append', audio: encoder.encode(frames[i % frames.length]!) }));
    encoder.destroy();
    add('recogniser uplink (encode + JSON)', inPerSecond * uplink, `${uplink.toFixed(2)} µs/frame in; TLS and socket writes not included`);
  }
  return parts;
}

/** eSpeak's synthesis and resampling of `text`, µs per second of audio. */
async function espeakCosts(text: string, language: string): Promise<{ synthUs: number; resampleUs: number }> {
  const engine = await loadEspeakEngine();
  const voice = engine.resolveVoice('en-us', language) ?? 'en-us';
  const raw = engine.synthesize(text, voice, 175);
  const seconds = raw.samples.length / ESPEAK_SAMPLE_RATE_HZ;
  const resampleUs = cpuUsPer(() => resample(raw.samples, ESPEAK_SAMPLE_RATE_HZ, 8000), 400) / seconds;
  const synthUs = cpuUsPer(() => engine.synthesize(text, voice, 175), 400) / seconds;
  return { synthUs, resampleUs };
}

/** One ElevenLabs audio message as the mock sends it: `pcm` as base64 mu-law with 10 characters aligned over it. */
function elevenLabsAudioMessage(pcm: Int16Array): string {
  const chars = Array.from('Thanks for');
  const durationMs = pcm.length / 8 / chars.length;
  const alignment = { chars, charStartTimesMs: chars.map((_, i) => Math.round(i * durationMs)), charDurationsMs: chars.map(() => Math.round(durationMs)) };
  return JSON.stringify({ audio: Buffer.from(encodeMulaw(pcm)).toString('base64'), isFinal: null, normalizedAlignment: alignment, alignment, contextId: 'ctx-1' });
}
