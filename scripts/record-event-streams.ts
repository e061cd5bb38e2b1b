/**
 * Records real call event streams for the callView tests: runs shipped example scenarios offline (simulated
 * clock, offline providers, simulated line) and writes each call's complete event stream, `call.started` to
 * `call.ended`, as JSONL into `test/observe/streams/<scenario-name>.jsonl`. The recorded-streams test folds
 * every file there and checks the view against the call's own record.
 *
 *   node --import tsx scripts/record-event-streams.ts            # the default scenarios
 *   node --import tsx scripts/record-event-streams.ts scenarios/dispatch/burst-pipe.yaml
 *
 * A scenario that fails its own checks writes nothing (the file recorded before stays). `levels` events
 * (audio meters, one per 100 ms) are dropped from a stream only when the file would exceed
 * {@link MAX_FILE_BYTES}; streams/README.md says which files lost them. Dropping a kind leaves holes in `seq`,
 * which the view counts as missed events.
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CallEvent } from '../runtime/call/events.js';
import { loadScenario, runScenario } from '../runtime/sim/index.js';
import { packageRoot } from '../runtime/util/package-root.js';

/** Scenarios recorded by default: a barge-in, a superseded reply, a backchannel and a cough on a noisy line, a language switch. */
const DEFAULT_SCENARIOS = [
  'scenarios/receptionist/interrupt-to-book.yaml',
  'scenarios/receptionist/double-interruption.yaml',
  'scenarios/receptionist/cough-on-a-noisy-line.yaml',
  'scenarios/multilingual/switch-to-french.yaml',
];

/** Largest stream file kept with its `levels` events, bytes. */
const MAX_FILE_BYTES = 150 * 1024;

const root = packageRoot();
const outDir = join(root, 'test/observe/streams');

/** Runs one scenario file and writes its stream; returns a line for the summary. */
async function record(file: string): Promise<string> {
  const loaded = loadScenario({ file: join(root, file) });
  if (!loaded.ok) throw new Error(`${file}: not a valid scenario:\n${loaded.diagnostics.map((d) => `  ${d.line}:${d.column} ${d.message}`).join('\n')}`);
  const events: CallEvent[] = [];
  const result = await runScenario(loaded.scenario, { onEvent: (event) => events.push(event) });
  // A call that failed its scenario is no example of what the runtime does: keep the stream recorded before.
  const failed = result.checks.filter((check) => !check.passed).map((check) => `${check.name}${check.detail ? ` (${check.detail})` : ''}`);
  if (failed.length > 0) throw new Error(`${file}: the scenario failed, nothing written: ${failed.join('; ')}`);
  // `call.ended` is not always the very last event: the chart's final `state` (["ended"]) follows it.
  if (!events.some((event) => event.type === 'call.ended')) throw new Error(`${file}: the stream has no call.ended; nothing written`);
  let jsonl = toJsonl(events);
  let note = 'levels kept';
  if (Buffer.byteLength(jsonl) > MAX_FILE_BYTES) {
    jsonl = toJsonl(events.filter((event) => event.type !== 'levels'));
    note = 'levels dropped';
  }
  const out = join(outDir, `${loaded.scenario.name}.jsonl`);
  writeFileSync(out, jsonl);
  return `${relative(root, out)}: ${events.length} events, ${Math.round(Buffer.byteLength(jsonl) / 1024)} KB (${note})`;
}

function toJsonl(events: readonly CallEvent[]): string {
  return events.map((event) => JSON.stringify(event)).join('\n') + '\n';
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  for (const file of files.length > 0 ? files : DEFAULT_SCENARIOS) {
    try {
      process.stdout.write(`${await record(file)}\n`);
    } catch (error) {
      // One scenario failing leaves the others to record; the exit code says something went wrong.
      process.stderr.write(`record-event-streams: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`record-event-streams: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
