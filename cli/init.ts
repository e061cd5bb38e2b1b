import type { Command } from 'commander';
import type { CliIO } from './io.js';

/** Placeholder removed in the next commit: `voiceagent init` is written by the init work item. */
export function registerInit(_program: Command, _io: CliIO, _setExitCode: (code: number) => void): void {}
