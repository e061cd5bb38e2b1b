/*
 * Echo handling: does caller speech detection during playout fire on the echo of our own voice, does it still
 * hear a caller who talks over the agent, and what does it cost per frame? (DESIGN.md sections 4 and 7.)
 *
 * Scenes (test/audio/echo-signals.ts): the agent's voice is two speech fixtures (9.2 s, -22 dBFS RMS) sent
 * down a mu-law line and echoed back with delay 50/120/250 ms and echo return loss 10/18/30 dB (and VoIP-long
 * paths: 500 ms / 18 dB, 700 ms / 10 dB), optionally
 * through a small room and a bass-less loudspeaker ("room"), optionally under pink line noise at -50 dBFS,
 * then mu-law again. Each handler starts fresh at the first frame, as on the first reply of a call.
 *   - echo only: share of playout frames where WebRTC VAD (mode 3, threshold 0.5) and the echo verdict say
 *     caller speech, and confirmed onsets (60 ms runs, `minSpeechMs` as the pipeline uses): false barge-ins;
 *   - double talk: another voice (-23 dBFS RMS, the caller's normal level) from 4.6 s while the agent keeps
 *     talking: share of its speech frames detected, and the time to the first confirmed onset.
 * Cost: `onOutbound` + `process` per 20 ms frame in steady state (after 3,000 warm-up frames), batches of
 * 1,000 frames of the 120 ms / 18 dB double-talk scene, with the agent talking throughout, or silent (no
 * `onOutbound`: the caller's turn); p50/p95/p99/max over batches, microseconds. Timed first, on a fresh heap.
 *
 * Prints one JSON line, then tables. Usage: node --import tsx bench/echo.bench.ts [-- --batches 100 --tail-ms 300]
 * (`--tail-ms`: the agent's `echo.tailMs`, default the schema's 300; the example agents use 800).
 */
import { performance } from 'node:perf_hooks';
import { createEchoHandler, DEFAULT_ECHO_TAIL_MS, type EchoMode } from '../runtime/audio/echo.js';
import { createWebRtcVad } from '../runtime/audio/webrtc-vad.js';
import { FRAME, makeScene, measureCondition, type EchoFigures, type EchoPath } from '../test/audio/echo-signals.js';
import { framesOf } from '../test/audio/vad-signals.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const at = args.indexOf('--batches');
const BATCHES = at >= 0 && Number(args[at + 1]) > 0 ? Number(args[at + 1]) : 100;
const tailAt = args.indexOf('--tail-ms');
const TAIL_MS = tailAt >= 0 ? Number(args[tailAt + 1]) : DEFAULT_ECHO_TAIL_MS;
if (!(TAIL_MS >= 0 && TAIL_MS <= 1000)) {
  process.stderr.write(`--tail-ms takes 0-1000 (got ${args[tailAt + 1]})\n`);
  process.exit(2);
}
const MODES: EchoMode[] = ['off', 'reference-gated', 'aec'];
const PATHS: Array<Omit<EchoPath, 'room'>> = [
  { delayMs: 50, attenuationDb: 10 },
  { delayMs: 120, attenuationDb: 18 },
  { delayMs: 250, attenuationDb: 10 },
  { delayMs: 250, attenuationDb: 30 },
  // VoIP legs and speakerphones: longer than the 300 ms canceller filter, measured and gated per call.
  { delayMs: 500, attenuationDb: 18 },
  { delayMs: 700, attenuationDb: 10 },
];

interface Row {
  readonly condition: string;
  readonly results: Record<EchoMode, EchoFigures>;
}

/** Per-frame cost with the agent talking (`onOutbound` every frame) or silent (the caller's turn). */
function timeMode(mode: EchoMode, agentTalking: boolean): Summary {
  const scene = makeScene({ path: { delayMs: 120, attenuationDb: 18 }, caller: { startMs: 4600 } });
  const sent = framesOf(scene.outbound, FRAME);
  const received = framesOf(scene.inbound, FRAME);
  const handler = createEchoHandler({ mode, sampleRate: 8000, tailMs: TAIL_MS });
  let next = 0;
  let sink = 0;
  const run = (count: number) => {
    for (let i = 0; i < count; i++) {
      const f = next++ % sent.length;
      if (agentTalking) handler.onOutbound(sent[f]!);
      if (handler.process(received[f]!).speechAllowed) sink++;
    }
  };
  run(3000);
  const perFrameUs: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const start = performance.now();
    run(1000);
    perFrameUs.push((performance.now() - start) * 1000 / 1000);
  }
  if (sink < 0) throw new Error('unreachable');
  return summarize(perFrameUs);
}

// Timed first, on a fresh heap, then the figures.
const cost = MODES.flatMap((mode) => [[`${mode}, agent talking`, timeMode(mode, true)] as const, [`${mode}, agent silent`, timeMode(mode, false)] as const]);

const rows: Row[] = [];
for (const room of [false, true]) {
  for (const noiseDbfs of [undefined, -50]) {
    for (const path of PATHS) {
      const condition = `${path.delayMs} ms / ${path.attenuationDb} dB${room ? ', room' : ''}${noiseDbfs !== undefined ? `, noise ${noiseDbfs} dBFS` : ''}`;
      const results = {} as Record<EchoMode, EchoFigures>;
      for (const mode of MODES) {
        results[mode] = await measureCondition(
          () => createEchoHandler({ mode, sampleRate: 8000, tailMs: TAIL_MS }),
          () => createWebRtcVad({ sampleRate: 8000 }),
          { path: { ...path, room }, ...(noiseDbfs !== undefined && { noiseDbfs }) },
        );
      }
      rows.push({ condition, results });
    }
  }
}



process.stdout.write(JSON.stringify({ unit: { cost: 'us per 20 ms frame', speech: 'percent of frames' }, batches: BATCHES, tailMs: TAIL_MS, conditions: rows, cost: Object.fromEntries(cost) }) + '\n\n');

const cell = (f: EchoFigures) => `${`${f.falseSpeechPct}%`.padStart(6)} ${String(f.falseOnsets).padStart(3)} ${`${f.doubleTalkPct}%`.padStart(6)} ${(f.onsetLatencyMs === undefined ? '-' : `${f.onsetLatencyMs}`).padStart(5)}`;
const width = Math.max(...rows.map((r) => r.condition.length));
process.stdout.write(`${''.padEnd(width)}  ${MODES.map((m) => m.padEnd(25)).join('  ')}\n`);
process.stdout.write(`${'condition'.padEnd(width)}  ${MODES.map(() => ' false  on    dt%   ms ').join('  ')}\n`);
for (const r of rows) process.stdout.write(`${r.condition.padEnd(width)}  ${MODES.map((m) => cell(r.results[m])).join('    ')}\n`);
process.stdout.write('\nfalse: echo-only frames flagged as caller speech; on: false onsets (60 ms runs); dt%: caller frames detected in double talk; ms: caller onset confirmed after\n\n');
printTable(cost.map(([label, s]) => [`${label} (us/frame)`, s] as const));
