/*
 * `npm run bench:tui`: what the `voiceagent call` screen costs while a busy call streams events. The whole TUI
 * (ink, React, every pane, the throttled view) renders at 160x50 to a fake terminal while a generator feeds it
 * 50 call events a second for `--seconds` (default 10): levels and heard-progress ticks, caller partials,
 * agent text, state changes, and every two seconds a turn with its latencies and a barge-in. The figure is the
 * process's CPU time (user + system, `process.cpuUsage`) over the wall time, as % of one core, after a
 * one-second warm-up. Target: under 10 %.
 *
 * Prints one JSON line. Usage: npm run bench:tui [-- --seconds 10 --rate 50]
 */
import { PassThrough, Writable } from 'node:stream';
import type { CallEvent, CallEventBody } from '../runtime/index.js';
import { createViewFeed } from '../cli/tui/view-source.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 && Number(args[at + 1]) > 0 ? Number(args[at + 1]) : fallback;
};
const SECONDS = option('seconds', 10);
const RATE = option('rate', 50);

let bytes = 0;
let writes = 0;
const stdout = Object.assign(
  new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      bytes += chunk.length;
      writes++;
      done();
    },
  }),
  { columns: 160, rows: 50, isTTY: true },
) as unknown as NodeJS.WriteStream;
const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin, ref: () => stdin, unref: () => stdin }) as unknown as NodeJS.ReadStream;

// As `voiceagent call` runs it: React in production mode, loaded after NODE_ENV is set.
process.env.NODE_ENV ??= 'production';
const { renderCallScreen } = await import('../cli/tui/render-call-screen.js');
const feed = createViewFeed();
const noop = () => undefined;
const screen = renderCallScreen(
  { source: feed, title: 'voiceagent call', controls: { say: noop, backchannel: () => ({ text: 'uh-huh' }), sound: noop, switchLanguage: () => 'en', hangup: noop, quit: noop } },
  { stdout, stdin },
);

const WORDS = 'could I book a cleaning for next Tuesday morning please'.split(' ');
const REPLY = 'Sure, I have a slot on Tuesday at ten in the morning. Shall I book it for you?'.split(' ');
const region = (agent: string, caller: string) => ({ type: 'state' as const, atMs: 0, states: [`active.caller.${caller}`, `active.agent.${agent}`, 'active.language.en', 'active.turn.listening.quiet'] });

/** The i-th event of a call that never stops talking: a two-second cycle of 100 events at 50/s. */
function bodyAt(i: number, atMs: number): CallEventBody {
  const cycle = Math.floor(i / 100);
  const k = i % 100;
  const turn = cycle + 1;
  const utterance = cycle + 1;
  if (k === 0) return { type: 'agent.utterance', atMs, utteranceId: utterance, purpose: 'reply', turnIndex: turn };
  if (k === 1) return { ...region('responding.speaking.playing', 'silent'), atMs };
  if (k === 2) return { type: 'agent.audio', atMs, utteranceId: utterance, started: true };
  if (k === 60) return { type: 'barge-in', atMs, decision: 'paused', record: { onsetMs: atMs - 60, kind: 'pending', reactedAtMs: atMs, reactionMs: 60 } };
  if (k === 70) return { type: 'agent.cut', atMs, utteranceId: utterance, by: 'caller', heardMs: 1200, heardText: REPLY.slice(0, 6).join(' '), intendedText: REPLY.join(' ') };
  if (k === 71) return { type: 'barge-in', atMs, decision: 'interrupted', record: { onsetMs: atMs - 220, kind: 'interrupt', reactedAtMs: atMs - 160, reactionMs: 60, reason: 'words: "could"' } };
  if (k === 72) return { ...region('idle.callerTalking', 'speaking'), atMs };
  if (k === 90) return { type: 'turn.committed', atMs, index: turn, userText: WORDS.join(' '), language: 'en', speechEndMs: atMs - 300, endpointCue: 'question' };
  if (k === 91) return { type: 'turn', atMs, record: { index: turn, userText: WORDS.join(' '), language: 'en', speechEndMs: atMs - 300, spans: { endpointingMs: 300, sttFinalMs: 250 + (cycle % 7) * 10, llmFirstTokenMs: 200 + (cycle % 5) * 40, ttsFirstAudioMs: 300 + (cycle % 3) * 150, firstFrameOutMs: 5, responseMs: 800 + (cycle % 4) * 150 }, outcome: 'answered' } };
  switch (k % 5) {
    case 0:
      return { type: 'levels', atMs, inDb: -30 - (i % 17), outDb: -20 - (i % 11) };
    case 1:
      return { type: 'agent.heard', atMs, utteranceId: utterance, heardMs: k * 20, heardChars: Math.min(60, k), wordIndex: Math.floor(k / 6) };
    case 2: {
      const n = Math.max(1, Math.min(WORDS.length, Math.floor((k - 70) / 2)));
      return k > 72 ? { type: 'transcript', atMs, final: false, text: WORDS.slice(0, n).join(' '), language: 'en', words: WORDS.slice(0, n).map((text) => ({ text, confidence: 0.9, stable: false })) } : { type: 'levels', atMs, inDb: -60, outDb: -22 };
    }
    case 3:
      return k < 60 ? { type: 'agent.text', atMs, utteranceId: utterance, delta: ` ${REPLY[(k / 5) % REPLY.length | 0]}` } : { type: 'caller.speech', atMs, speaking: k % 2 === 0 };
    default:
      return { type: 'provider.metric', atMs, provider: 'offline-llm', kind: 'ttft', value: 200 };
  }
}

let seq = 0;
const started = performance.now();
const send = () => {
  const atMs = performance.now() - started;
  const body = bodyAt(seq, atMs);
  feed.push({ v: 2, callId: 'bench-call', agent: 'receptionist', seq, wallTime: new Date().toISOString(), ...body, atMs } as CallEvent);
  seq++;
};
feed.push({ v: 2, callId: 'bench-call', agent: 'receptionist', seq: seq++, wallTime: new Date().toISOString(), type: 'call.started', atMs: 0, mode: 'dualplex', language: 'en', sampleRate: 16000 });

const periodMs = 1000 / RATE;
let next = performance.now();
const timer = setInterval(() => {
  // Catch up on timer lateness so the rate is the asked one, not the timer's.
  while (performance.now() >= next) {
    send();
    next += periodMs;
  }
}, periodMs / 2);

await new Promise((resolve) => setTimeout(resolve, 1000));
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const seq0 = seq;
const bytes0 = bytes;
const writes0 = writes;
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - wall0;
clearInterval(timer);
await screen.close();
const cpuPct = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
const result = {
  bench: 'tui',
  seconds: Math.round(wallMs) / 1000,
  eventsPerSecond: Math.round(((seq - seq0) / wallMs) * 1000 * 10) / 10,
  framesPerSecond: Math.round(((writes - writes0) / wallMs) * 1000 * 10) / 10,
  bytesPerSecond: Math.round(((bytes - bytes0) / wallMs) * 1000),
  cpuPercentOfOneCore: Math.round(cpuPct * 10) / 10,
  targetPercent: 10,
  passed: cpuPct < 10,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
