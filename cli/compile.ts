import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { compileAgent, formatDiagnostic, loadAgent, toMermaid } from '../runtime/index.js';
import { CliError, EXIT, type CliIO } from './io.js';

interface CompileOptions {
  readonly format: 'json' | 'mermaid';
  readonly out?: string;
}

/** `voiceagent compile <agent.yaml>`: the agent's call statechart as XState JSON or a Mermaid diagram. */
export function registerCompile(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('compile')
    .description('Compile an agent into its call statechart (XState v5 config as JSON, or a Mermaid state diagram).')
    .argument('<agent>', 'agent YAML file')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['json', 'mermaid']).default('json'))
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      `
The JSON is { format, agent, machine, delays, dynamicDelays, speechMilestonesMs, backchannels }; paste \`machine\` into
Stately's visualiser (stately.ai/viz) to explore it. Actions, guards and delays are names bound by the runtime.

Exit codes: 0 compiled, 1 the agent has errors (printed as file:line:col), 2 usage or I/O error.

Examples:
  voiceagent compile agents/receptionist.yaml > receptionist.chart.json
  voiceagent compile agents/dispatch.yaml --format mermaid --out dispatch.mmd`,
    )
    .action((agent: string, options: CompileOptions) => {
      const loaded = loadAgent({ file: resolve(io.cwd, agent) });
      if (!loaded.ok) {
        const ioError = loaded.diagnostics.find((d) => d.code === 'io-error');
        if (ioError) throw new CliError(`cannot read agent file ${agent}: ${ioError.message.replace(/^cannot read agent file: /, '')} (paths are relative to ${io.cwd})`);
        for (const d of loaded.diagnostics) io.stderr.write(formatDiagnostic({ ...d, file: agent }) + '\n');
        setExitCode(EXIT.failed);
        return;
      }
      const compiled = compileAgent(loaded.spec, { sourceHash: loaded.sourceHash });
      const text = options.format === 'mermaid' ? toMermaid(compiled.machine) : JSON.stringify(compiled, null, 2) + '\n';
      if (!options.out) {
        io.stdout.write(text);
        return;
      }
      try {
        writeFileSync(resolve(io.cwd, options.out), text);
      } catch (error) {
        throw new CliError(`cannot write ${options.out}: ${(error as Error).message}`);
      }
      io.stderr.write(`wrote ${options.out} (${options.format})\n`);
    });
}
