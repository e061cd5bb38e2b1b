import type { Command } from 'commander';
import { actor, ADMIN_HELP, addAdminOptions, connect, withAdminErrors, type AdminCliOptions } from './admin-options.js';
import type { CliIO } from './io.js';

interface RollbackOptions extends AdminCliOptions {
  readonly to?: string;
}

/** `voiceagent rollback <agent> [--to VERSION]`: activate an earlier version, as a new history entry. */
export function registerRollback(program: Command, io: CliIO, _setExitCode: (code: number) => void): void {
  const command = program
    .command('rollback')
    .description('Make an earlier version of an agent active again (a new activation; history is never rewritten).')
    .argument('<agent>', 'agent name')
    .option('--to <version>', 'version id to activate (default: the one active before the current one)');
  addAdminOptions(command)
    .addHelpText(
      'after',
      `${ADMIN_HELP}

The rollback is compared against the version active when the command looked (like deploy), so a deploy that
lands in between is not silently undone. Running calls keep their version; new calls get the rolled-back one.

Exit codes: 0 rolled back (or the version was already active), 1 drift (someone deployed in between, or no
earlier version), 2 usage or I/O error (server unreachable, token refused, unknown agent or version).

Examples:
  voiceagent rollback receptionist
  voiceagent rollback receptionist --to v3f9c2a1b0d4e --env production`,
    )
    .action(async (agent: string, options: RollbackOptions) => {
      const { client } = connect(io, options);
      const before = await withAdminErrors(() => client.versions(agent));
      if (options.to !== undefined && options.to === before.active) {
        if (options.json) io.stdout.write(JSON.stringify({ agent, env: before.env, active: before.active, unchanged: true }, null, 2) + '\n');
        else io.stdout.write(`${agent}: ${options.to} is already active, nothing to do\n`);
        return;
      }
      const by = actor(io);
      const activation = await withAdminErrors(() => client.rollback(agent, { ...(options.to ? { to: options.to } : {}), expected: before.active ?? null, ...(by ? { by } : {}) }));
      if (options.json) io.stdout.write(JSON.stringify({ agent, env: activation.env, activation }, null, 2) + '\n');
      else io.stdout.write(`${agent}: rolled back to ${activation.version}${activation.previous ? ` (was ${activation.previous})` : ''}, activation #${activation.seq}\n`);
    });
}
