/**
 * Which key each real provider of an agent sends, in one place: `createProviders` resolves these when a call
 * starts, and `voiceagent validate --online` checks the same ones before any call. A provider's key is its own
 * `apiKey` field, else the agent's `secrets.<name>` (`openai` or `elevenlabs`); providers that take no key
 * (offline ones, a keyless OpenAI-compatible server) have none.
 */
import { REALTIME_PROFILE, type AgentSpec } from '../dsl/index.js';
import { dottedPath, type DocPath } from '../dsl/yaml-source.js';
import { resolveSecret } from './secrets.js';

/** Where a provider's key comes from. */
export interface KeyUse {
  /** The reference (`${env:NAME}`), or undefined when neither the field nor `secrets.<name>` gives one. */
  readonly ref: string | undefined;
  /** The field the reference is read from, as errors name it (`voice.apiKey`, `secrets.openai`). */
  readonly field: string;
  /** Where a problem with it is reported: the field, else the section that needs it. */
  readonly at: DocPath;
  /** Provider id errors are attributed to. */
  readonly provider: string;
}

/** Every key a call of this agent resolves, once each. */
export function keysNeeded(spec: AgentSpec): KeyUse[] {
  const uses = [realtimeKey(spec), sttKey(spec), ...Object.keys(spec.models).map((profile) => modelKey(spec, profile)), elevenLabsKey(spec)];
  return uses.filter((use): use is KeyUse => use !== undefined);
}

/** The key's value from `env`; throws the {@link resolveSecret} error naming the variable, file and field. */
export function resolveKey(use: KeyUse, env: Readonly<Record<string, string | undefined>>, agentFile: string): string {
  return resolveSecret(use.ref, { env, agentFile, field: use.field, provider: use.provider });
}

/** A provider's key: its own `apiKey` field, else `secrets.<secret>`, else none written (reported at `section`). */
function keyOf(spec: AgentSpec, own: string | undefined, ownPath: DocPath, secret: string, section: DocPath, provider: string): KeyUse {
  if (own !== undefined) return { ref: own, field: dottedPath(ownPath), at: ownPath, provider };
  if (spec.secrets[secret] !== undefined) return { ref: spec.secrets[secret], field: `secrets.${secret}`, at: ['secrets', secret], provider };
  return { ref: undefined, field: dottedPath(ownPath), at: section, provider };
}

/** The Realtime session's key (dualplex, speech-to-speech). */
export function realtimeKey(spec: AgentSpec): KeyUse | undefined {
  const realtime = spec.inference.realtime;
  if (spec.inference.mode === 'cascade' || !realtime) return undefined;
  return keyOf(spec, realtime.apiKey, ['inference', 'realtime', 'apiKey'], 'openai', ['inference', 'realtime'], 'openai-realtime');
}

/**
 * Whether calls of this agent may transcribe with `stt` (an OpenAI transcription session): in cascade mode, and
 * in dualplex once degraded to a cascade (`inference.realtime.degradeTo`).
 */
export function usesSttSection(spec: AgentSpec): boolean {
  if (spec.stt.provider !== 'openai') return false;
  return spec.inference.mode === 'cascade' || (spec.inference.mode === 'dualplex' && spec.inference.realtime?.degradeTo !== undefined);
}

/** The cascade recogniser's key (an OpenAI transcription session). */
export function sttKey(spec: AgentSpec): KeyUse | undefined {
  if (!usesSttSection(spec)) return undefined;
  return keyOf(spec, spec.stt.apiKey, ['stt', 'apiKey'], 'openai', ['stt'], 'openai-transcribe');
}

/** A model profile's key; none for the realtime profile, offline models, or an OpenAI-compatible one without `apiKey`. */
export function modelKey(spec: AgentSpec, profile: string): KeyUse | undefined {
  const model = spec.models[profile];
  if (!model || profile === REALTIME_PROFILE || model.provider === 'local') return undefined;
  // An OpenAI-compatible endpoint without a key (a local server) needs none.
  if (model.provider !== 'openai' && model.apiKey === undefined) return undefined;
  return keyOf(spec, model.apiKey, ['models', profile, 'apiKey'], 'openai', ['models', profile], `openai:${profile}`);
}

/** The ElevenLabs key, when the voice or its fallback is ElevenLabs (the fallback shares `voice.apiKey`). */
export function elevenLabsKey(spec: AgentSpec): KeyUse | undefined {
  const { voice } = spec;
  if (voice.provider !== 'elevenlabs' && voice.fallback?.provider !== 'elevenlabs') return undefined;
  return keyOf(spec, voice.apiKey, ['voice', 'apiKey'], 'elevenlabs', ['voice'], 'elevenlabs');
}
