#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run automatically by `npm install`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(
    'voiceagent: the CLI is not built yet (missing dist/cli/main.js).\n' +
      'Run `npm install` (which builds it) or `npm run build` in the voiceagent folder.\n',
  );
  process.exit(2);
}
const { run } = await import(pathToFileURL(main).href);
const code = await run(process.argv);
process.exitCode = code;
// The command is done. Exit once its output is flushed rather than wait for timers a library left behind: the
// ElevenLabs SDK (2.73) keeps a failed request's timeout timer, which would hold `validate --online` for the
// whole timeout after an unreachable endpoint.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
