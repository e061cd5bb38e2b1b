/**
 * The rules of a scenario file that its schema cannot state: recordings that must exist and be usable, fields
 * that go only with some step kinds, per-step checks that contradict each other, and `agentOverrides` that must
 * leave a valid agent. Run after the schema check passed, on data with the schema's defaults filled in.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDottedPath } from './agent-overrides.js';
import type { Diagnostic, DiagnosticCode } from './diagnostics.js';
import { loadAgent } from './load-agent.js';
import { dottedPath, type DocPath, type YamlSource } from './yaml-source.js';

/** What the checks need besides the data. */
export interface ScenarioCheckContext {
  /** The scenario file: recordings are relative to it. */
  readonly file: string;
  readonly source: YamlSource;
  /** Absolute path of the agent under test, when it exists. */
  readonly agentFile?: string;
  /**
   * What is wrong with the recording at an absolute path (not a 16-bit WAV, a rate the resampler does not
   * take), or undefined when it can be played. Default: only that it exists (the DSL reads no audio).
   */
  readonly checkAudioFile?: (path: string) => string | undefined;
}

interface RawNoise {
  readonly type?: string;
  readonly file?: string;
}

interface RawStepExpect {
  readonly interrupts?: boolean | { readonly withinMs: number };
  readonly resumes?: true;
  readonly answeredWithinMs?: number;
}

interface RawStep {
  readonly say?: string;
  readonly noise?: string;
  readonly pauseMs?: number;
  readonly setNoise?: RawNoise;
  readonly hangup?: true;
  readonly audio?: string;
  readonly rate?: number;
  readonly durationMs?: number;
  readonly expect?: RawStepExpect;
  readonly when?: { readonly agentSpeaking?: boolean; readonly afterPreviousMs?: number };
}

/** Every problem of `data` (a scenario that passed its schema) that the schema cannot see, in file order. */
export function checkScenarioRules(data: Record<string, unknown>, ctx: ScenarioCheckContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const problem = (path: DocPath, code: DiagnosticCode, message: string, hint: string, at: 'key' | 'value' = 'key') =>
    out.push({ file: ctx.file, ...(at === 'key' ? ctx.source.keyAt(path) : ctx.source.valueAt(path)), severity: 'error', code, path: dottedPath(path), message, hint });
  const audioProblem = (relative: string, path: DocPath) => {
    const absolute = resolve(dirname(ctx.file), relative);
    const why = !existsSync(absolute) || !statSync(absolute).isFile() ? `recording not found: ${absolute}` : ctx.checkAudioFile?.(absolute);
    if (why) problem(path, 'reference', `\`${dottedPath(path)}\`: ${why}`, 'the path is relative to the scenario file; recordings are 16-bit PCM WAV at 8, 16, 24 or 48 kHz', 'value');
  };
  const checkNoise = (noise: RawNoise | undefined, path: DocPath) => {
    if (!noise) return;
    if (noise.type === 'recording' && noise.file === undefined) {
      problem(path, 'required', `\`${dottedPath(path)}\` has \`type: recording\` but no \`file\``, 'add `file: <a WAV file, relative to the scenario>`, e.g. `file: ../recordings/office-ambience.wav`');
    } else if (noise.type !== 'recording' && noise.file !== undefined) {
      problem([...path, 'file'], 'conflict', `\`${dottedPath([...path, 'file'])}\` goes only with \`type: recording\`, but the type is \`${noise.type}\``, 'write `type: recording` to play the file, or remove `file`');
    } else if (noise.file !== undefined) {
      audioProblem(noise.file, [...path, 'file']);
    }
  };

  checkNoise((data.channel as { noise?: RawNoise } | undefined)?.noise, ['channel', 'noise']);
  const script = (data.script ?? []) as RawStep[];
  script.forEach((step, i) => {
    const at: DocPath = ['script', i];
    const field = dottedPath(at);
    checkNoise(step.setNoise, [...at, 'setNoise']);
    if (step.audio !== undefined) audioProblem(step.audio, [...at, 'audio']);
    if (step.audio !== undefined && step.rate !== undefined) {
      problem([...at, 'rate'], 'conflict', `\`${field}.rate\` changes the synthesiser's speed, but \`${field}\` plays a recording (\`audio\`)`, 'remove `rate`: a recording is played as it was spoken');
    }
    if (step.durationMs !== undefined && step.noise === undefined && step.setNoise === undefined) {
      problem([...at, 'durationMs'], 'conflict', `\`${field}.durationMs\` goes only with \`noise\` or \`setNoise\`, which \`${field}\` has neither of`, 'remove `durationMs`, or use `pauseMs` for a silence');
    }
    if (step.expect) checkStepExpect(step, at, problem);
  });

  const overrides = data.agentOverrides as Record<string, unknown> | undefined;
  if (overrides && ctx.agentFile) out.push(...overrideDiagnostics(ctx.agentFile, overrides, { file: ctx.file, source: ctx.source, at: ['agentOverrides'] }));
  return out;
}

type Problem = (path: DocPath, code: DiagnosticCode, message: string, hint: string) => void;

function checkStepExpect(step: RawStep, at: DocPath, problem: Problem): void {
  const field = dottedPath(at);
  const expect = step.expect!;
  const path = [...at, 'expect'];
  if (step.say === undefined && step.noise === undefined) {
    problem(path, 'conflict', `\`${field}.expect\` goes only with \`say\` or \`noise\`: only a line or a sound can interrupt, resume or be answered`, 'move the check to the `say` or `noise` step it is about');
    return;
  }
  if (expect.answeredWithinMs !== undefined && step.say === undefined) {
    problem([...path, 'answeredWithinMs'], 'conflict', `\`${field}.expect.answeredWithinMs\` goes only with \`say\`: a \`noise\` gets no answer`, 'move it to the `say` step whose answer it times');
  }
  if (expect.resumes && expect.interrupts !== undefined && expect.interrupts !== false) {
    problem([...path, 'resumes'], 'conflict', `\`${field}.expect\` says both that the step interrupts the agent and that the sentence it is made over is heard to its end (\`resumes\`)`, 'keep `interrupts` for a line that must stop the agent, or `resumes: true` (with `interrupts: false`) for one that must not');
  }
  const overAgent = step.when?.agentSpeaking === true || step.when?.afterPreviousMs !== undefined;
  const aboutAgentSpeech = expect.resumes === true || (expect.interrupts !== undefined && expect.interrupts !== false);
  if (aboutAgentSpeech && !overAgent) {
    problem(path, 'conflict', `\`${field}.expect\` checks what the step does to the agent's speech, but the step starts after the agent's reply ends`, 'time the step into the reply: `when: { agentSpeaking: true, afterMs: 800 }`');
  }
}

/** Where overrides are written: the file that holds them, its parsed source, and their path in it. */
interface OverridesSite {
  readonly file: string;
  readonly source: YamlSource;
  readonly at: DocPath;
}

/**
 * The problems `overrides` bring to the agent in `agentFile`: every diagnostic of the merged agent that the
 * file alone does not have, placed in `site`. One about a field the overrides write points at it there
 * (`agentOverrides.echo.tailMs`); one the merge causes elsewhere (a threshold now out of order with the
 * agent's own) points at the overrides and names the agent file's place. Problems of the agent file itself
 * are not repeated: validating or running the agent reports them.
 */
export function overrideDiagnostics(agentFile: string, overrides: Readonly<Record<string, unknown>>, site: OverridesSite): Diagnostic[] {
  const keyOf = (d: Diagnostic) => `${d.code}|${d.path}|${d.message}`;
  const known = new Set(loadAgent({ file: agentFile }).diagnostics.map(keyOf));
  const where = dottedPath(site.at);
  return loadAgent({ file: agentFile, overrides })
    .diagnostics.filter((d) => !known.has(keyOf(d)))
    .map((d) => {
      const path = parseDottedPath(d.path);
      const first = path[0];
      if (first !== undefined && Object.hasOwn(overrides, first)) {
        const inSite = [...site.at, ...path];
        return { ...d, file: site.file, ...(d.code === 'unknown-key' ? site.source.keyAt(inSite) : site.source.valueAt(inSite)), path: dottedPath(inSite), message: `\`${where}\`: ${d.message}` };
      }
      const place = d.line > 0 ? `${agentFile}:${d.line}:${d.column}` : agentFile;
      return { ...d, file: site.file, ...site.source.keyAt(site.at), path: where, message: `with \`${where}\`, the agent is invalid: ${d.message} (${place})` };
    });
}
