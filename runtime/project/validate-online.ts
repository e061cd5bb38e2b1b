/**
 * `voiceagent validate --online`: the checks that need the agent's providers, run after the file itself is
 * valid. A file can be perfect YAML and still fail its first call: the environment variable behind a key is
 * unset, the key is refused, or a voice id is not in the account. Each of these comes back as a
 * {@link Diagnostic} at the field that causes it (file:line:col), like the offline checks.
 *
 * What is checked:
 * - every key the agent's real providers would resolve when a call starts (the same `${env:...}` rules as
 *   `createProviders`): set and non-empty in the environment;
 * - ElevenLabs voices (`voice.voices`, and `voice.fallback.voices` when the fallback is ElevenLabs too): listed
 *   with the key (`GET /v1/voices` through `@elevenlabs/elevenlabs-js`); an id the key cannot use is an error,
 *   with the id to use when the file gave a voice's name instead.
 * OpenAI model ids are not checked (yet): a missing key is reported, a wrong model id only when a call starts.
 */
import { REALTIME_PROFILE, type AgentSpec, type Diagnostic, type DiagnosticCode } from '../dsl/index.js';
import { dottedPath, parseYamlSource, type DocPath } from '../dsl/yaml-source.js';
import type { ElevenLabsVoice } from '../providers/elevenlabs/tts-rest-fallback.js';
import { ProviderError } from '../providers/errors.js';
import { envReferenceName, resolveSecret } from '../providers/secrets.js';
import { didYouMean } from '../util/did-you-mean.js';

/** What the online checks use; injected so tests can point them at loopback mocks. */
export interface OnlineCheckOptions {
  /** Environment for `${env:...}` references. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Lists the voices a key can use (`listElevenLabsVoices` in the CLI). */
  readonly listVoices: (target: { readonly apiKey: string; readonly baseURL?: string }) => Promise<ElevenLabsVoice[]>;
}

/** A key the agent's providers resolve when a call starts, and where it is written. */
interface KeyUse {
  /** The reference (`${env:NAME}`), or undefined when neither the field nor `secrets.<name>` gives one. */
  readonly ref: string | undefined;
  /** The field the reference is read from, as `createProviders` names it in its errors. */
  readonly field: string;
  /** Where a problem with it is reported: the field, else the section that needs it. */
  readonly at: DocPath;
  readonly provider: string;
}

/**
 * Runs the online checks on a valid agent (`text` is its YAML, for positions). Never throws: unreachable
 * services and refused keys are diagnostics too.
 */
export async function checkAgentOnline(file: string, text: string, spec: AgentSpec, options: OnlineCheckOptions): Promise<Diagnostic[]> {
  const source = parseYamlSource(text, file);
  const diagnostics: Diagnostic[] = [];
  const report = (at: DocPath, code: DiagnosticCode, message: string, hint?: string): void => {
    diagnostics.push({ file, ...source.valueAt(at), severity: 'error', code, path: dottedPath(at), message, ...(hint ? { hint } : {}) });
  };

  const keys = new Map<string, string | undefined>();
  for (const use of keysNeeded(spec)) {
    if (keys.has(use.field)) continue;
    try {
      keys.set(use.field, resolveSecret(use.ref, { env: options.env, agentFile: file, field: use.field, provider: use.provider }));
    } catch (error) {
      keys.set(use.field, undefined);
      // resolveSecret's message starts with "<file>: `field`" or names the variable; the position says the file.
      report(use.at, 'missing-secret', (error as Error).message.replace(`${file}: `, ''));
    }
  }

  const voiceKey = elevenLabsKey(spec);
  const voicePaths = elevenLabsVoices(spec);
  if (voiceKey && voicePaths.length > 0) {
    const apiKey = keys.get(voiceKey.field);
    if (apiKey !== undefined) {
      const baseURL = spec.voice.baseURL;
      let voices: ElevenLabsVoice[] | undefined;
      try {
        voices = await options.listVoices({ apiKey, ...(baseURL ? { baseURL } : {}) });
      } catch (error) {
        const failure = ProviderError.from('elevenlabs', error);
        const variable = voiceKey.ref ? envReferenceName(voiceKey.ref) : undefined;
        if (failure.kind === 'auth') {
          report(voiceKey.at, 'online', `ElevenLabs refused the key${variable ? ` in ${variable}` : ''} (\`${voiceKey.field}\`): ${failure.message}`);
        } else {
          report(['voice', 'provider'], 'online', `could not list the ElevenLabs voices at ${baseURL ?? 'https://api.elevenlabs.io'}: ${failure.message}`, 'check the network and `voice.baseURL`; `voiceagent validate` without --online checks the file alone');
        }
      }
      if (voices) for (const { path, id } of voicePaths) checkVoice(path, id, voices, report);
    }
  }
  return diagnostics;
}

function checkVoice(path: DocPath, id: string, voices: readonly ElevenLabsVoice[], report: (at: DocPath, code: DiagnosticCode, message: string, hint?: string) => void): void {
  if (voices.some((voice) => voice.id === id)) return;
  const byName = voices.filter((voice) => voice.name.toLowerCase() === id.toLowerCase());
  const close = didYouMean(id, voices.map((voice) => voice.id));
  const hint =
    byName.length === 1
      ? `\`${id}\` is the name of the voice \`${byName[0]!.id}\`: give its id`
      : byName.length > 1
        ? `${byName.length} voices are named \`${id}\` (${byName.map((voice) => `\`${voice.id}\``).join(', ')}): give the id of the one you mean`
        : close
          ? `did you mean \`${close}\`?`
          : `voices of this key: ${voices.slice(0, 5).map((voice) => `${voice.name} (\`${voice.id}\`)`).join(', ')}${voices.length > 5 ? `, and ${voices.length - 5} more` : ''}`;
  report(path, 'unknown-voice', `\`${dottedPath(path)}\`: \`${id}\` is not a voice this ElevenLabs key can use`, voices.length > 0 ? hint : 'the account has no voices; add one in the ElevenLabs voice library');
}

/** The keys `createProviders` resolves for this agent (see runtime/providers/create-providers.ts). */
function keysNeeded(spec: AgentSpec): KeyUse[] {
  const uses: KeyUse[] = [];
  const use = (own: string | undefined, ownPath: DocPath, secret: string, section: DocPath, provider: string): void => {
    if (own !== undefined) uses.push({ ref: own, field: dottedPath(ownPath), at: ownPath, provider });
    else if (spec.secrets[secret] !== undefined) uses.push({ ref: spec.secrets[secret], field: `secrets.${secret}`, at: ['secrets', secret], provider });
    else uses.push({ ref: undefined, field: dottedPath(ownPath), at: section, provider });
  };
  const realtime = spec.inference.realtime;
  if (spec.inference.mode !== 'cascade' && realtime) use(realtime.apiKey, ['inference', 'realtime', 'apiKey'], 'openai', ['inference', 'realtime'], 'openai-realtime');
  if (spec.inference.mode === 'cascade' && spec.stt.provider === 'openai') use(spec.stt.apiKey, ['stt', 'apiKey'], 'openai', ['stt'], 'openai-transcribe');
  for (const [profile, model] of Object.entries(spec.models)) {
    if (profile === REALTIME_PROFILE || model.provider === 'local') continue;
    // An OpenAI-compatible endpoint without a key (a local server) needs none.
    if (model.provider === 'openai' || model.apiKey !== undefined) use(model.apiKey, ['models', profile, 'apiKey'], 'openai', ['models', profile], `openai:${profile}`);
  }
  const voiceKey = elevenLabsKey(spec);
  if (voiceKey) uses.push(voiceKey);
  return uses;
}

/** The ElevenLabs key, when the voice or its fallback is ElevenLabs (the fallback shares `voice.apiKey`). */
function elevenLabsKey(spec: AgentSpec): KeyUse | undefined {
  const { voice } = spec;
  if (voice.provider !== 'elevenlabs' && voice.fallback?.provider !== 'elevenlabs') return undefined;
  if (voice.apiKey !== undefined) return { ref: voice.apiKey, field: 'voice.apiKey', at: ['voice', 'apiKey'], provider: 'elevenlabs' };
  if (spec.secrets.elevenlabs !== undefined) return { ref: spec.secrets.elevenlabs, field: 'secrets.elevenlabs', at: ['secrets', 'elevenlabs'], provider: 'elevenlabs' };
  return { ref: undefined, field: 'voice.apiKey', at: ['voice'], provider: 'elevenlabs' };
}

/** Every ElevenLabs voice id the agent names, with its place in the file. */
function elevenLabsVoices(spec: AgentSpec): Array<{ path: DocPath; id: string }> {
  const out: Array<{ path: DocPath; id: string }> = [];
  if (spec.voice.provider === 'elevenlabs') for (const [language, id] of Object.entries(spec.voice.voices)) out.push({ path: ['voice', 'voices', language], id });
  const fallback = spec.voice.fallback;
  if (fallback?.provider === 'elevenlabs') for (const [language, id] of Object.entries(fallback.voices)) out.push({ path: ['voice', 'fallback', 'voices', language], id });
  return out;
}
