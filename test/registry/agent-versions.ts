/*
 * Agent versions for the registry tests: the receptionist's YAML with a numbered comment appended, compiled as
 * the server compiles it. Each number is a different source text, so a different sourceHash and version id.
 */
import { readFileSync } from 'node:fs';
import { loadAgent } from '../../runtime/dsl/load-agent.js';
import { prepareAgent } from '../../runtime/call/call-session.js';
import type { PushInput } from '../../runtime/registry/types.js';

const base = readFileSync(new URL('../../agents/receptionist.yaml', import.meta.url), 'utf8');

/** The source and compiled chart of receptionist revision `n` (a comment changes; the chart's sourceHash too). */
export function receptionistRevision(n: number, name = 'receptionist'): PushInput {
  const source = `${base.replace(/^name: receptionist$/m, `name: ${name}`)}\n# revision ${n}\n`;
  const loaded = loadAgent({ file: `agents/${name}.yaml`, text: source });
  if (!loaded.ok) throw new Error(`the receptionist fixture does not load: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  return { agent: name, source, compiled: prepareAgent(loaded.spec, { sourceHash: loaded.sourceHash }).compiled, file: `agents/${name}.yaml` };
}
