/**
 * `voiceagent validate --online`: the checks that need the agent's providers, run after the file itself is
 * valid. A file can be perfect YAML and still fail its first call: the environment variable behind a key is
 * unset, the key is refused, a model or voice id does not exist for that key. Each comes back as a
 * {@link Diagnostic} at the field that causes it (file:line:col), like the offline checks.
 *
 * What is checked:
 * - every key the agent's real providers would resolve when a call starts (the same `${env:...}` rules as
 *   `createProviders`): set and non-empty in the environment (`missing-secret`);
 * - every OpenAI(-compatible) endpoint the agent uses lists its models (`GET /models`) with that key, and
 *   offers each model id the file names: the realtime and transcription models, `stt.model`, every
 *   `models.<profile>.model` (`unknown-model`);
 * - ElevenLabs accepts the key and lists every voice id (`voice.voices`, and `voice.fallback.voices` when the
 *   fallback is ElevenLabs too) through `@elevenlabs/elevenlabs-js` (`unknown-voice`, with the id to use when
 *   the file gave a voice's name).
 * A refused key is an `online` error at the key's field. An endpoint that cannot be reached is an `online`
 * error, except for self-hosted `openai-compatible` profiles, which may well be reachable only where the
 * agent runs: a warning, and their model ids go unchecked. So is an endpoint that does not list its models.
 */
import { REALTIME_PROFILE, sortDiagnostics, type AgentSpec, type Diagnostic, type DiagnosticCode } from '../dsl/index.js';
import { dottedPath, parseYamlSource, type DocPath } from '../dsl/yaml-source.js';
import type { ElevenLabsVoice } from '../providers/elevenlabs/tts-rest-fallback.js';
import { ELEVENLABS_BASE_URL } from '../providers/elevenlabs/wire.js';
import { ProviderError } from '../providers/errors.js';
import { OPENAI_BASE_URL } from '../providers/openai/chat-llm.js';
import { elevenLabsKey, keysNeeded, modelKey, realtimeKey, resolveKey, sttKey, usesSttSection, type KeyUse } from '../providers/provider-keys.js';
import { envReferenceName } from '../providers/secrets.js';
import { didYouMean } from '../util/did-you-mean.js';
import { collect, summarise, type ValidationReport } from './validate-paths.js';

/** What the online checks use; injected so tests can point them at loopback mocks. */
export interface OnlineCheckOptions {
  /** Environment for `${env:...}` references. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Lists the voices a key can use (`listElevenLabsVoices` in the CLI). */
  readonly listVoices: (target: { readonly apiKey: string; readonly baseURL?: string }) => Promise<ElevenLabsVoice[]>;
  /** Lists the model ids of an OpenAI-compatible endpoint (`listOpenAiModels` in the CLI); no key: none sent. */
  readonly listModels: (target: { readonly apiKey?: string; readonly baseURL?: string }) => Promise<string[]>;
}

/**
 * {@link validatePaths}, then the online checks ({@link checkAgentOnline}) on every file that passed: keys in
 * the environment and accepted, model and voice ids offered. `onProgress` hears of each file before its checks run.
 */
export async function validatePathsOnline(
  paths: readonly string[],
  options: { cwd: string; online: OnlineCheckOptions; onProgress?: (file: string, index: number, total: number) => void },
): Promise<ValidationReport> {
  const offline = collect(paths, options);
  const files = [...offline.files];
  const valid = files.filter((file) => offline.sources.has(file.file));
  for (const [index, file] of valid.entries()) {
    const { text, spec } = offline.sources.get(file.file)!;
    options.onProgress?.(file.file, index, valid.length);
    const online = await checkAgentOnline(file.file, text, spec, options.online);
    if (online.length === 0) continue;
    const diagnostics = sortDiagnostics([...file.diagnostics, ...online]);
    files[files.indexOf(file)] = { ...file, ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics };
  }
  return summarise(files, offline.ioErrors);
}

/** A model id the agent sends to an OpenAI(-compatible) endpoint. */
interface ModelUse {
  readonly model: string;
  /** Where the id is written (or, for a default, its section). */
  readonly at: DocPath;
  readonly baseURL: string | undefined;
  /** The key sent, if any. */
  readonly key: KeyUse | undefined;
  /** Where a problem reaching the endpoint is reported. */
  readonly endpointAt: DocPath;
  /** A self-hosted endpoint (`openai-compatible` profile): unreachable is a warning. */
  readonly selfHosted: boolean;
}

type Report = (at: DocPath, code: DiagnosticCode, message: string, hint?: string, severity?: Diagnostic['severity']) => void;

/**
 * Runs the online checks on a valid agent (`text` is its YAML, for positions). Never throws: unreachable
 * services and refused keys are diagnostics too.
 */
export async function checkAgentOnline(file: string, text: string, spec: AgentSpec, options: OnlineCheckOptions): Promise<Diagnostic[]> {
  const source = parseYamlSource(text, file);
  const diagnostics: Diagnostic[] = [];
  const report: Report = (at, code, message, hint, severity = 'error') => {
    diagnostics.push({ file, ...source.valueAt(at), severity, code, path: dottedPath(at), message, ...(hint ? { hint } : {}) });
  };
  const keys = resolveKeys(file, spec, options.env, report);
  await Promise.all([checkModels(spec, keys, options, report), checkVoices(spec, keys, options, report)]);
  // Both checks report as their requests come back: put the problems back in file order.
  return diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Resolves every key the providers need; field -> key, or undefined when it is missing (and reported). */
function resolveKeys(file: string, spec: AgentSpec, env: OnlineCheckOptions['env'], report: Report): Map<string, string | undefined> {
  const keys = new Map<string, string | undefined>();
  for (const use of keysNeeded(spec)) {
    if (keys.has(use.field)) continue;
    try {
      keys.set(use.field, resolveKey(use, env, file));
    } catch (error) {
      keys.set(use.field, undefined);
      // resolveKey's message names the file; the diagnostic's position already does.
      report(use.at, 'missing-secret', (error as Error).message.replace(`${file}: `, ''));
    }
  }
  return keys;
}

async function checkModels(spec: AgentSpec, keys: Map<string, string | undefined>, options: OnlineCheckOptions, report: Report): Promise<void> {
  // One listing per endpoint and key.
  const groups = new Map<string, ModelUse[]>();
  for (const use of modelsUsed(spec)) {
    if (use.key && keys.get(use.key.field) === undefined) continue; // its key is missing: reported already
    const group = `${use.baseURL ?? OPENAI_BASE_URL}\n${use.key?.field ?? ''}`;
    groups.set(group, [...(groups.get(group) ?? []), use]);
  }
  await Promise.all(
    [...groups.values()].map(async (uses) => {
      const { baseURL, key, endpointAt } = uses[0]!;
      const where = baseURL ?? OPENAI_BASE_URL;
      const apiKey = key ? keys.get(key.field) : undefined;
      let ids: string[];
      try {
        ids = await options.listModels({ ...(apiKey !== undefined ? { apiKey } : {}), ...(baseURL ? { baseURL } : {}) });
      } catch (error) {
        const failure = ProviderError.from('openai', error);
        if (failure.kind === 'auth' && key) return refusedKey(report, where, key, failure);
        if (failure.kind === 'bad-request') {
          return report(endpointAt, 'online', `${where} does not list its models (${failure.message}), so the model ids were not checked`, undefined, 'warning');
        }
        const selfHosted = uses.every((use) => use.selfHosted);
        const hint = selfHosted ? 'a self-hosted server may be reachable only where the agent runs; its model ids were not checked' : 'check the network and the `baseURL`';
        return report(endpointAt, 'online', `could not list the models at ${where}: ${failure.message}`, hint, selfHosted ? 'warning' : 'error');
      }
      for (const use of uses) {
        if (ids.includes(use.model)) continue;
        const close = didYouMean(use.model, ids);
        report(use.at, 'unknown-model', `\`${use.model}\` is not a model of ${where}${key ? ' for this key' : ''}`, close ? `did you mean \`${close}\`?` : `it lists ${ids.length} model${ids.length === 1 ? '' : 's'}${ids.length > 0 ? `, e.g. ${ids.slice(0, 5).map((id) => `\`${id}\``).join(', ')}` : ''}`);
      }
    }),
  );
}

async function checkVoices(spec: AgentSpec, keys: Map<string, string | undefined>, options: OnlineCheckOptions, report: Report): Promise<void> {
  const key = elevenLabsKey(spec);
  const voicePaths = elevenLabsVoices(spec);
  const apiKey = key ? keys.get(key.field) : undefined;
  if (!key || apiKey === undefined || voicePaths.length === 0) return;
  const baseURL = spec.voice.baseURL;
  let voices: ElevenLabsVoice[];
  try {
    voices = await options.listVoices({ apiKey, ...(baseURL ? { baseURL } : {}) });
  } catch (error) {
    const failure = ProviderError.from('elevenlabs', error);
    const where = baseURL ?? ELEVENLABS_BASE_URL;
    if (failure.kind === 'auth') return refusedKey(report, 'ElevenLabs', key, failure);
    return report(['voice', 'provider'], 'online', `could not list the ElevenLabs voices at ${where}: ${failure.message}`, 'check the network and `voice.baseURL`; `voiceagent validate` without --online checks the file alone');
  }
  for (const { path, id } of voicePaths) checkVoice(path, id, voices, report);
}

/** `who` (a service or an endpoint) answered 401/403 to the key of `key`. */
function refusedKey(report: Report, who: string, key: KeyUse, failure: ProviderError): void {
  const variable = key.ref ? envReferenceName(key.ref) : undefined;
  report(key.at, 'online', `${who} refused the key${variable ? ` in ${variable}` : ''} (\`${key.field}\`): ${failure.message}`);
}

function checkVoice(path: DocPath, id: string, voices: readonly ElevenLabsVoice[], report: Report): void {
  if (voices.some((voice) => voice.id === id)) return;
  const byName = voices.filter((voice) => voice.name.toLowerCase() === id.toLowerCase());
  const close = didYouMean(id, voices.map((voice) => voice.id));
  const hint =
    voices.length === 0
      ? 'the account has no voices; add one in the ElevenLabs voice library'
      : byName.length === 1
        ? `\`${id}\` is the name of the voice \`${byName[0]!.id}\`: give its id`
        : byName.length > 1
          ? `${byName.length} voices are named \`${id}\` (${byName.map((voice) => `\`${voice.id}\``).join(', ')}): give the id of the one you mean`
          : close
            ? `did you mean \`${close}\`?`
            : `voices of this key: ${voices.slice(0, 5).map((voice) => `${voice.name} (\`${voice.id}\`)`).join(', ')}${voices.length > 5 ? `, and ${voices.length - 5} more` : ''}`;
  report(path, 'unknown-voice', `\`${dottedPath(path)}\`: \`${id}\` is not a voice this ElevenLabs key can use`, hint);
}

/** Every model id sent to an OpenAI(-compatible) endpoint, with the endpoint and key it goes with. */
function modelsUsed(spec: AgentSpec): ModelUse[] {
  const uses: ModelUse[] = [];
  const realtime = spec.inference.realtime;
  const endpointAt = (section: DocPath, baseURL: string | undefined): DocPath => (baseURL ? [...section, 'baseURL'] : [...section, 'model']);
  if (spec.inference.mode !== 'cascade' && realtime) {
    const section: DocPath = ['inference', 'realtime'];
    const common = { baseURL: realtime.baseURL, key: realtimeKey(spec), endpointAt: endpointAt(section, realtime.baseURL), selfHosted: false };
    uses.push({ model: realtime.model, at: [...section, 'model'], ...common });
    uses.push({ model: realtime.transcriptionModel, at: [...section, 'transcriptionModel'], ...common });
  }
  if (usesSttSection(spec)) {
    uses.push({ model: spec.stt.model, at: ['stt', 'model'], baseURL: spec.stt.baseURL, key: sttKey(spec), endpointAt: endpointAt(['stt'], spec.stt.baseURL), selfHosted: false });
  }
  for (const [profile, model] of Object.entries(spec.models)) {
    if (profile === REALTIME_PROFILE || model.provider === 'local') continue;
    const section: DocPath = ['models', profile];
    uses.push({ model: model.model, at: [...section, 'model'], baseURL: model.baseURL, key: modelKey(spec, profile), endpointAt: endpointAt(section, model.baseURL), selfHosted: model.provider === 'openai-compatible' });
  }
  return uses;
}

/** Every ElevenLabs voice id the agent names, with its place in the file. */
function elevenLabsVoices(spec: AgentSpec): Array<{ path: DocPath; id: string }> {
  const out: Array<{ path: DocPath; id: string }> = [];
  if (spec.voice.provider === 'elevenlabs') for (const [language, id] of Object.entries(spec.voice.voices)) out.push({ path: ['voice', 'voices', language], id });
  const fallback = spec.voice.fallback;
  if (fallback?.provider === 'elevenlabs') for (const [language, id] of Object.entries(fallback.voices)) out.push({ path: ['voice', 'fallback', 'voices', language], id });
  return out;
}
