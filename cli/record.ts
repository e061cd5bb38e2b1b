import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ADMIN_HELP, addAdminOptions, connect, withAdminErrors, type AdminCliOptions } from './admin-options.js';
import { CliError, type CliIO } from './io.js';

interface RecordOptions extends AdminCliOptions {
  readonly wav?: string;
}

/** `voiceagent record <callId>`: a call's record (agent, version, transcript, turns), and its WAV. */
export function registerRecord(program: Command, io: CliIO, _setExitCode: (code: number) => void): void {
  const command = program
    .command('record')
    .description("Show a call's record (agent, version, end reason, transcript) from a server; --wav saves its stereo recording.")
    .argument('<callId>', 'call id (from `voiceagent calls`)')
    .option('--wav <file>', "save the call's stereo WAV (left: caller, right: agent) here; needs serve --record");
  addAdminOptions(command)
    .addHelpText(
      'after',
      `${ADMIN_HELP}

--json prints the whole record as the server stored it.

Exit codes: 0 shown, 2 usage or I/O error (server unreachable, token refused, unknown call, no WAV).

Examples:
  voiceagent record 3f1c9a2e-...
  voiceagent record 3f1c9a2e-... --wav call.wav --json > call.json`,
    )
    .action(async (callId: string, options: RecordOptions) => {
      const { client } = connect(io, options);
      const record = await withAdminErrors(() => client.call(callId));
      if (options.wav) {
        const bytes = await withAdminErrors(() => client.callWav(callId));
        try {
          writeFileSync(resolve(io.cwd, options.wav), bytes);
        } catch (error) {
          throw new CliError(`cannot write ${options.wav}: ${(error as Error).message}`);
        }
        io.stderr.write(`wrote ${options.wav} (${bytes.length} bytes)\n`);
      }
      if (options.json) {
        io.stdout.write(JSON.stringify(record, null, 2) + '\n');
        return;
      }
      const seconds = record.endedAtMs !== undefined ? ` ${(record.endedAtMs / 1000).toFixed(1)} s,` : '';
      io.stdout.write(`call ${record.callId}: ${record.agent?.name ?? '?'} ${record.agent?.version ?? '(file agent)'}, started ${record.startedAt},${seconds} ended by ${record.endReason ?? '(running or unknown)'}\n`);
      io.stdout.write(`${record.turns?.length ?? 0} turns, ${record.bargeIns?.length ?? 0} barge-ins, ${record.failures?.length ?? 0} failures\n`);
      for (const entry of record.transcript ?? []) {
        io.stdout.write(`  ${entry.role === 'user' ? 'caller' : 'agent '}: ${entry.text}${entry.interrupted ? ' [interrupted]' : ''}\n`);
      }
    });
}
