import type { Command } from 'commander';
import { ADMIN_HELP, addAdminOptions, connect, shortTime, withAdminErrors, type AdminCliOptions } from './admin-options.js';
import type { CliIO } from './io.js';

/** `voiceagent versions <agent>`: every pushed version of an agent, the active one, and the activation history. */
export function registerVersions(program: Command, io: CliIO, _setExitCode: (code: number) => void): void {
  const command = program
    .command('versions')
    .description("List an agent's versions on a server (newest first, * = active) and its activation history.")
    .argument('<agent>', 'agent name');
  addAdminOptions(command)
    .addHelpText(
      'after',
      `${ADMIN_HELP}

Exit codes: 0 listed, 2 usage or I/O error (server unreachable, token refused, unknown agent).

Examples:
  voiceagent versions receptionist
  voiceagent versions receptionist --env production --json | jq '.history'`,
    )
    .action(async (agent: string, options: AdminCliOptions) => {
      const { client } = connect(io, options);
      const listed = await withAdminErrors(() => client.versions(agent));
      if (options.json) {
        io.stdout.write(JSON.stringify(listed, null, 2) + '\n');
        return;
      }
      io.stdout.write(`${listed.agent} on ${client.url} (env ${listed.env}): ${listed.active ? `active ${listed.active}` : 'no active version'}\n\nversions (newest first):\n`);
      for (const v of listed.versions) {
        const git = v.git ? `${v.git.commit.slice(0, 10) || '-'}${v.git.dirty ? '+dirty' : ''}  ${v.git.author ?? ''}  ${v.git.message ?? ''}` : '(no git)';
        io.stdout.write(`${v.id === listed.active ? '*' : ' '} ${v.id}  ${shortTime(v.createdAt)}  ${git.trimEnd()}\n`);
      }
      io.stdout.write('\nactivations (oldest first):\n');
      if (listed.history.length === 0) io.stdout.write('  none\n');
      for (const h of listed.history) {
        io.stdout.write(`  #${h.seq}  ${shortTime(h.at)}  ${h.reason.padEnd(8)}  ${h.version}${h.previous ? ` (was ${h.previous})` : ''}${h.by ? `  by ${h.by}` : ''}\n`);
      }
    });
}
