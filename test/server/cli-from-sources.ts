/*
 * bin/voiceagent.js for the sources: `node --import tsx test/server/cli-from-sources.ts serve ...` runs the CLI
 * without a build and exits as the built one does, with the command's code once its output is flushed. A file,
 * not `node -e`: `serve --workers N` forks its workers with this process's exec arguments, and an `-e` script
 * there would run the CLI again in each worker instead of the worker's entry point.
 */
import { run } from '../../cli/main.js';

const code = await run(process.argv);
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
