import type { Command } from 'commander';
import type { CallQuery } from '../runtime/index.js';
import { ADMIN_HELP, addAdminOptions, connect, shortTime, withAdminErrors, type AdminCliOptions } from './admin-options.js';
import { CliError, type CliIO } from './io.js';

interface CallsOptions extends AdminCliOptions {
  readonly agent?: string;
  readonly versionId?: string;
  readonly since?: string;
  readonly until?: string;
  readonly endReason?: string;
  readonly limit?: string;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since 1h` or an ISO time, as the ISO time the server filters on; `now` is injected for tests. */
export function parseSince(flag: string, value: string, now: number = Date.now()): string {
  const relative = /^(\d+)\s*(s|m|h|d)$/.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2]!]!).toISOString();
  const at = Date.parse(value);
  if (/^\d{4}-\d\d-\d\d/.test(value) && Number.isFinite(at)) return new Date(at).toISOString();
  throw new CliError(`${flag} takes a duration back from now (30s, 15m, 1h, 7d) or an ISO time (2026-12-01T09:00:00Z), got ${JSON.stringify(value)}`);
}

/** `voiceagent calls`: the calls a server (or fleet) has records of, newest first. */
export function registerCalls(program: Command, io: CliIO, _setExitCode: (code: number) => void): void {
  const command = program
    .command('calls')
    .description('List calls recorded by a server (newest first): agent, version, start, duration, end reason.')
    .option('--agent <name>', 'only this agent')
    // Not `--version`: the program's own -V/--version takes that flag wherever it appears.
    .option('--version-id <id>', 'only calls that ran this version (an id from `voiceagent versions`)')
    .option('--since <when>', 'only calls started since: a duration back from now (30m, 1h, 7d) or an ISO time')
    .option('--until <when>', 'only calls started before: a duration back from now or an ISO time')
    .option('--end-reason <reason>', 'only calls that ended so (caller-hangup, agent-hangup, silence, error, transport-closed)')
    .option('--limit <n>', 'at most this many (the server caps it)', '100');
  addAdminOptions(command)
    .addHelpText(
      'after',
      `${ADMIN_HELP}

Exit codes: 0 listed (even none), 2 usage or I/O error (server unreachable, token refused).

Examples:
  voiceagent calls --since 1h
  voiceagent calls --agent receptionist --version-id v3f9c2a1b0d4e --json | jq '.calls[].callId'`,
    )
    .action(async (options: CallsOptions) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit takes a whole number of at least 1, got ${options.limit}`);
      const query: CallQuery = {
        ...(options.agent ? { agent: options.agent } : {}),
        ...(options.versionId ? { version: options.versionId } : {}),
        ...(options.since ? { since: parseSince('--since', options.since) } : {}),
        ...(options.until ? { until: parseSince('--until', options.until) } : {}),
        ...(options.endReason ? { endReason: options.endReason } : {}),
        limit,
      };
      const { client } = connect(io, options);
      const calls = await withAdminErrors(() => client.calls(query));
      if (options.json) {
        io.stdout.write(JSON.stringify({ server: client.url, query, calls }, null, 2) + '\n');
        return;
      }
      if (calls.length === 0) {
        io.stdout.write('no calls\n');
        return;
      }
      // The SERVER column only for a fleet's listing, where records live on several servers.
      const fleet = calls.some((c) => c.server);
      const rows = calls.map((c) => [c.callId, c.agent, c.version ?? '(file)', shortTime(c.startedAt), duration(c.startedAt, c.endedAt), c.endReason ?? (c.endedAt ? '' : 'running'), ...(fleet ? [c.server?.id ?? ''] : [])]);
      const header = ['CALL', 'AGENT', 'VERSION', 'STARTED (UTC)', 'DURATION', 'END', ...(fleet ? ['SERVER'] : [])];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [header, ...rows]) io.stdout.write(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
    });
}

function duration(startedAt: string, endedAt: string | undefined): string {
  if (!endedAt) return '-';
  const s = Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
