/*
 * Runs the `voiceagent` CLI from the sources (`node --import tsx bench/serve-launcher.ts serve ...`), as
 * bin/voiceagent.js runs it from dist/: bench:serve measures the tree as it is, with no build step. The cluster
 * workers inherit `--import tsx` from this process's execArgv, so they run the sources too.
 */
import { run } from '../cli/main.js';

const code = await run(process.argv);
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
