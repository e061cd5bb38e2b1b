import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { findScenarioFiles, formatDiagnostic, formatJUnit, formatScenarioReport, formatSummary, runScenarioFiles, writeWav, type ScenarioResult, type ScenarioRunEntry } from '../runtime/index.js';
import { CliError, EXIT, writeOutputFile, type CliIO } from './io.js';

interface TestOptions {
  readonly agent?: string;
  readonly json?: boolean;
  readonly junit?: string;
  readonly realtime?: boolean;
  readonly record?: string;
}

/** `voiceagent test [scenarios...]`: simulated calls against agents, offline, checked against expectations. */
export function registerTest(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('test')
    .description('Run scenario files: simulated callers (offline voices, noise, echo, interruptions) call an agent; every expectation is checked.')
    .argument('[scenarios...]', 'scenario files or folders (default: the project\'s scenarios folder, or ./scenarios)')
    .option('--agent <file>', 'run every scenario against this agent file instead of the one each scenario names')
    .option('--json', 'print the results as JSON on stdout (no text report)')
    .option('--junit <file>', 'also write a JUnit XML report to this file (for CI)')
    .option('--realtime', 'run at wall-clock speed instead of on a simulated clock')
    .option('--record <dir>', 'write a stereo WAV per call (left: caller line as the agent heard it, right: agent as the caller heard it) and the call record JSON')
    .addHelpText(
      'after',
      `
Runs offline: scripted replies from each agent's \`offline:\` section, a known-words recogniser and eSpeak NG
voices stand in for the real providers, so no keys or network are needed. This tests the turn-taking and
barge-in behaviour of the agent, not the quality of a real model or voice.

Exit codes: 0 every scenario passed, 1 a scenario failed or is invalid, 2 usage or I/O error.

Examples:
  voiceagent test                                  every scenario of the project
  voiceagent test scenarios/receptionist --record recordings
  voiceagent test --agent agents/dispatch.yaml scenarios/dispatch --junit report.xml`,
    )
    .action(async (paths: string[], options: TestOptions) => {
      const files = findScenarioFiles(paths, io.cwd);
      if (files.length === 0) throw new CliError(`no scenario files found in ${paths.length ? paths.join(', ') : 'the project\'s scenarios folder or ./scenarios'}`);
      const results: ScenarioRunEntry[] = [];
      for await (const entry of runScenarioFiles(files, { cwd: io.cwd, ...(options.agent ? { agent: resolve(io.cwd, options.agent) } : {}), realtime: options.realtime === true })) {
        results.push(entry);
        if (options.json) continue;
        if (entry.diagnostics) for (const d of entry.diagnostics) io.stderr.write(formatDiagnostic(d) + '\n');
        if (entry.result) io.stdout.write(formatScenarioReport(entry.result));
        else io.stdout.write(`FAIL  ${entry.file}  — ${entry.error ?? 'invalid scenario'}\n`);
      }
      const ran = results.flatMap((r) => (r.result ? [r.result] : []));
      if (options.record) writeRecordings(resolve(io.cwd, options.record), ran);
      if (options.junit) writeOutputFile(resolve(io.cwd, options.junit), formatJUnit(ran));
      const invalid = results.filter((r) => !r.result).length;
      if (options.json) {
        io.stdout.write(JSON.stringify(results.map((r) => (r.result ? { ...r.result, audio: undefined } : r)), null, 2) + '\n');
      } else {
        io.stdout.write(formatSummary(ran) + (invalid ? `${invalid} scenario file(s) could not be run\n` : ''));
      }
      setExitCode(invalid > 0 || ran.some((r) => !r.passed) ? EXIT.failed : EXIT.ok);
    });
}

function writeRecordings(dir: string, results: readonly ScenarioResult[]): void {
  for (const r of results) {
    writeOutputFile(join(dir, `${r.name}.wav`), writeWav({ sampleRate: r.audio.sampleRate, channels: [r.audio.caller, r.audio.agent] }));
    writeOutputFile(join(dir, `${r.name}.json`), JSON.stringify(r.record, null, 2) + '\n');
  }
}
