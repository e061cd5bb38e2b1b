import type { Command } from 'commander';
import { AdminApiError, createAdminClient, DeployTargetError, resolveDeployTarget, type AdminClient, type DeployTarget } from '../runtime/index.js';
import { CliError, EXIT, type CliIO } from './io.js';

/** Options every command that talks to a server's admin API takes. */
export interface AdminCliOptions {
  readonly env?: string;
  readonly url?: string;
  readonly json?: boolean;
}

/** Adds `--env`, `--url` and `--json` to a command that talks to a server's admin API. */
export function addAdminOptions(command: Command): Command {
  return command
    .option('--env <name>', 'environment of voiceagent.yaml to talk to (default: its defaultEnvironment)')
    .option('--url <url>', 'server URL, overriding the environment (also VOICEAGENT_URL)')
    .option('--json', 'print one machine-readable JSON document on stdout');
}

/** Help text shared by the admin commands: where the server and token come from, and the exit codes. */
export const ADMIN_HELP = `
Server: --url, else VOICEAGENT_URL, else the \`url\` of the environment named by --env (or defaultEnvironment)
in voiceagent.yaml. Token: VOICEAGENT_TOKEN, else the environment's \`token: \${env:NAME}\` variable.
The server is a \`voiceagent serve --data DIR\` (or --registry redis://...); see docs/deploy.md.`;

/** The server and a client for it; an unresolvable target becomes a usage error saying what to set. */
export function connect(io: CliIO, options: AdminCliOptions): { client: AdminClient; target: DeployTarget } {
  let target: DeployTarget;
  try {
    target = resolveDeployTarget({ cwd: io.cwd, env: io.env, ...(options.env !== undefined ? { environment: options.env } : {}), ...(options.url !== undefined ? { url: options.url } : {}) });
  } catch (error) {
    if (error instanceof DeployTargetError) throw new CliError(error.message);
    throw error;
  }
  return { client: createAdminClient({ url: target.url, ...(target.token ? { token: target.token } : {}) }), target };
}

/** An admin API failure as the CLI reports it: drift is a failed check (1), everything else usage or I/O (2). */
export function adminError(error: unknown): unknown {
  if (!(error instanceof AdminApiError)) return error;
  const details = error.diagnostics.map((d) => `\n  ${d.file ?? ''}${d.line !== undefined ? `:${d.line}:${d.column ?? 1}` : ''} ${d.message}`).join('');
  return new CliError(error.message + details, error.code === 'drift' || error.code === 'invalid-agent' ? EXIT.failed : EXIT.usage);
}

/** Runs `action`, turning admin API errors into CLI errors. */
export async function withAdminErrors<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw adminError(error);
  }
}

/** Who is acting, for the activation history: `$VOICEAGENT_USER`, else the login name. */
export function actor(io: CliIO): string | undefined {
  return io.env.VOICEAGENT_USER || io.env.USER || io.env.USERNAME || undefined;
}

/** A short date-time for tables: `2026-12-01 10:00:02` (UTC, as stored). */
export function shortTime(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '') : '-';
}
