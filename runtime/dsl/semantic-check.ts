import { didYouMean } from '../util/did-you-mean.js';
import { readPackageJson } from '../util/package-root.js';
import { isLiveTranscriptionModel } from './transcription-models.js';
import { isBuiltInBackchannel, REMOVE_ALL_BUILT_INS } from './backchannels.js';
import { soundKeys } from './text-match.js';
import { REALTIME_PROFILE } from './agent-spec.js';
import type { Diagnostic, DiagnosticCode } from './diagnostics.js';
import { misspelledEnvReference } from './env-reference.js';
import { dottedPath } from './schema-check.js';
import type { DocPath, YamlSource } from './yaml-source.js';

/*
 * Checks a JSON Schema cannot express: references between sections, cycles, cross-field orderings,
 * literal secrets. They run on data that may also have schema errors, so every accessor tolerates
 * wrong shapes and simply skips what it cannot read (the schema check already reported it).
 */

type Rec = Record<string, unknown>;
/** The schema's `$defs.languageCode`: codes that fail it were already reported by the schema check. */
const LANGUAGE_CODE = new RegExp(readPackageJson<{ $defs: { languageCode: { pattern: string } } }>('schemas/agent.schema.json').$defs.languageCode.pattern);
const rec = (x: unknown): Rec | undefined => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Rec) : undefined);
const list = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

interface Reporter {
  error(path: DocPath, code: DiagnosticCode, message: string, hint?: string, onKey?: boolean): void;
}

/** Runs every semantic check on schema-defaulted data; returns positioned diagnostics. */
export function semanticCheck(data: unknown, source: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Reporter = {
    error(path, code, message, hint, onKey = false) {
      out.push({
        file: source.file,
        ...(onKey ? source.keyAt(path) : source.valueAt(path)),
        severity: 'error',
        code,
        path: dottedPath(path),
        message,
        ...(hint ? { hint } : {}),
      });
    },
  };
  const root = rec(data);
  if (!root) return out;
  checkMode(root, report);
  checkStt(root, report);
  checkModels(root, report);
  checkRoutingAndConditions(root, report);
  checkLanguages(root, report);
  checkOrderings(root, report);
  checkBargeInPhrases(root, report);
  checkRegexes(root, report);
  checkLiteralSecrets(root, [], report, root);
  return out;
}

function checkMode(root: Rec, report: Reporter): void {
  const inference = rec(root.inference);
  const mode = str(inference?.mode);
  const voiceProvider = str(rec(root.voice)?.provider);
  if ((mode === 'dualplex' || mode === 'speech-to-speech') && inference && !rec(inference.realtime)) {
    report.error(['inference', 'mode'], 'mode', `\`inference.mode: ${mode}\` needs \`inference.realtime\``, 'add `realtime: { provider: openai, model: gpt-realtime }` under `inference`');
  }
  if (mode === 'cascade' && Object.keys(rec(root.models) ?? {}).length === 0) {
    report.error(['inference', 'mode'], 'mode', '`inference.mode: cascade` needs at least one profile in `models`', 'add e.g. `models: { fast: { provider: openai, model: gpt-5.4-nano } }`');
  }
  if (mode === 'speech-to-speech' && voiceProvider && voiceProvider !== 'openai') {
    report.error(['voice', 'provider'], 'mode', `\`voice.provider: ${voiceProvider}\` cannot speak in \`speech-to-speech\` mode: the realtime model speaks itself`, 'use `provider: openai` with realtime voice names, or switch to `mode: dualplex` to keep this voice');
  }
  if (mode && mode !== 'speech-to-speech' && voiceProvider === 'openai') {
    report.error(['voice', 'provider'], 'mode', `\`voice.provider: openai\` is only for \`speech-to-speech\` mode, not \`${mode}\``, 'use `elevenlabs` or `local`');
  }
}

/** A live-streaming transcription model takes no server VAD: the session would refuse the configuration. */
function checkStt(root: Rec, report: Reporter): void {
  const stt = rec(root.stt);
  const model = str(stt?.model);
  const detection = str(stt?.turnDetection);
  if (str(stt?.provider) === 'local' || !model || !isLiveTranscriptionModel(model) || detection === undefined || detection === 'local') return;
  report.error(['stt', 'turnDetection'], 'conflict', `\`stt.model: ${model}\` streams words while the caller speaks and takes no server VAD, so \`stt.turnDetection: ${detection}\` would be refused`, 'use `turnDetection: local` (the runtime commits each utterance), or leave it out');
}

function checkModels(root: Rec, report: Reporter): void {
  const models = rec(root.models) ?? {};
  const names = Object.keys(models);
  for (const name of names) {
    const profile = rec(models[name]);
    if (!profile) continue;
    if (profile.provider === 'openai-compatible' && str(profile.baseURL) === undefined) {
      report.error(['models', name, 'provider'], 'required', `\`models.${name}\` uses \`openai-compatible\` and needs a \`baseURL\``, 'e.g. `baseURL: http://127.0.0.1:11434/v1` for Ollama');
    }
    const fallback = str(profile.fallback);
    if (fallback === undefined) continue;
    if (fallback === name) {
      report.error(['models', name, 'fallback'], 'fallback-cycle', `\`models.${name}.fallback\` names the profile itself`, 'remove `fallback`, or name a different profile');
    } else if (!(fallback in models)) {
      report.error(['models', name, 'fallback'], 'reference', `\`models.${name}.fallback\` names \`${fallback}\`, which is not in \`models\``, hintFor(fallback, names));
    }
  }
  // Cycles longer than one: follow each chain; report each cycle once, at its first member in file order.
  const reported = new Set<string>();
  for (const start of names) {
    const chain: string[] = [];
    let current: string | undefined = start;
    while (current !== undefined && !chain.includes(current)) {
      chain.push(current);
      current = str(rec(models[current])?.fallback);
      if (current !== undefined && !(current in models)) current = undefined;
    }
    if (current === undefined || current === chain[chain.length - 1]) continue;
    const cycle = chain.slice(chain.indexOf(current));
    if (cycle.length < 2 || cycle.some((n) => reported.has(n))) continue;
    cycle.forEach((n) => reported.add(n));
    const first = names.find((n) => cycle.includes(n))!;
    report.error(['models', first, 'fallback'], 'fallback-cycle', `\`models\` fallbacks form a cycle: ${[...cycle, cycle[0]].join(' -> ')}`, 'a fallback chain must end in a profile without `fallback`; remove `fallback` from one of them');
  }
}

function hintFor(name: string, candidates: string[]): string {
  const guess = didYouMean(name, candidates);
  if (guess) return `did you mean \`${guess}\`?`;
  return candidates.length ? `known profiles: ${candidates.join(', ')}` : `define \`${name}\` under \`models\``;
}

function checkRoutingAndConditions(root: Rec, report: Reporter): void {
  const models = Object.keys(rec(root.models) ?? {});
  const mode = str(rec(root.inference)?.mode);
  const realtimeMode = mode === 'dualplex' || mode === 'speech-to-speech';
  const intents = Object.keys(rec(root.intents) ?? {});
  const rules = list(root.routing);
  const degradeTo = str(rec(rec(root.inference)?.realtime)?.degradeTo);
  if (degradeTo !== undefined && mode === 'speech-to-speech') {
    report.error(['inference', 'realtime', 'degradeTo'], 'mode', '`inference.realtime.degradeTo` needs `inference.mode: dualplex`: in `speech-to-speech` the realtime session is also the voice, so nothing could speak a degraded call', 'use `dualplex` (a realtime model writing text, spoken by `voice`), or leave `degradeTo` out');
  } else if (degradeTo !== undefined && (str(rec(root.stt)?.provider) ?? 'openai') !== 'openai') {
    report.error(['inference', 'realtime', 'degradeTo'], 'conflict', '`inference.realtime.degradeTo` transcribes the caller with `stt`, which must then be `provider: openai` (the `local` recogniser hears only simulated callers)', 'set `stt: { provider: openai, model: gpt-4o-transcribe }`, or leave `degradeTo` out');
  } else if (degradeTo !== undefined && !models.includes(degradeTo)) {
    report.error(['inference', 'realtime', 'degradeTo'], 'reference', `\`inference.realtime.degradeTo\` names \`${degradeTo}\`, which is not in \`models\``, hintFor(degradeTo, models));
  }
  rules.forEach((raw, i) => {
    const rule = rec(raw);
    const use = str(rule?.use);
    if (use !== undefined && !models.includes(use)) {
      if (use === REALTIME_PROFILE && realtimeMode) {
        // The realtime model answers itself.
      } else if (use === REALTIME_PROFILE) {
        report.error(['routing', i, 'use'], 'reference', `\`routing[${i}].use: realtime\` needs a realtime inference mode (\`dualplex\` or \`speech-to-speech\`), but \`inference.mode\` is \`${mode ?? 'unset'}\``, models.length ? `use a profile from \`models\` (${models.join(', ')})` : 'define a profile under `models` and use it here');
      } else {
        report.error(['routing', i, 'use'], 'reference', `\`routing[${i}].use\` names \`${use}\`, which is not in \`models\``, hintFor(use, models));
      }
    }
    if (rule?.when === undefined && i < rules.length - 1) {
      const after = rules.length - 1 - i;
      const unused = after === 1 ? 'the rule after it is never used' : `the ${after} rules after it are never used`;
      report.error(['routing', i], 'conflict', `\`routing[${i}]\` has no \`when\`, so it always matches and ${unused}`, 'move the catch-all rule to the end, or give it a `when`');
    }
    checkCondition(rule?.when, ['routing', i, 'when'], intents, report);
  });
  list(rec(root.offline)?.replies).forEach((raw, i) => checkCondition(rec(raw)?.when, ['offline', 'replies', i, 'when'], intents, report));
}

function checkCondition(raw: unknown, path: DocPath, intents: string[], report: Reporter): void {
  const when = rec(raw);
  if (!when) return;
  list(when.intent).forEach((name, j) => {
    if (typeof name === 'string' && !intents.includes(name)) {
      const guess = didYouMean(name, intents);
      report.error([...path, 'intent', j], 'reference', `intent \`${name}\` is not defined in \`intents\``, guess ? `did you mean \`${guess}\`?` : intents.length ? `known intents: ${intents.join(', ')}` : 'define it under `intents` with its keywords');
    }
  });
  const turn = rec(when.turn);
  const min = num(turn?.min);
  const max = num(turn?.max);
  if (min !== undefined && max !== undefined && min > max) {
    report.error([...path, 'turn', 'max'], 'threshold-order', `\`${dottedPath([...path, 'turn', 'max'])}\` (${max}) is below \`turn.min\` (${min}), so this condition never matches`, 'swap the two values, or raise `max` to at least `min`');
  }
}

function checkLanguages(root: Rec, report: Reporter): void {
  const languages = rec(root.languages);
  const written = str(languages?.default);
  const defaultLanguage = written !== undefined && LANGUAGE_CODE.test(written) ? written : undefined;
  const supported = list(languages?.supported).filter((x): x is string => typeof x === 'string' && LANGUAGE_CODE.test(x));
  const supportedWritten = Array.isArray(languages?.supported);
  if (defaultLanguage && supported.length > 0 && !supported.includes(defaultLanguage)) {
    report.error(['languages', 'default'], 'language', `default language \`${defaultLanguage}\` is not in \`languages.supported\` (${supported.join(', ')})`, `add \`${defaultLanguage}\` to \`languages.supported\`, or set \`default\` to one of ${supported.join(', ')}`);
  }
  const all = supportedWritten ? supported : defaultLanguage ? [defaultLanguage] : [];
  for (const section of ['voice', 'fallback'] as const) {
    const voice = section === 'voice' ? rec(root.voice) : rec(rec(root.voice)?.fallback);
    const voices = rec(voice?.voices);
    if (!voices) continue;
    const path: DocPath = section === 'voice' ? ['voice', 'voices'] : ['voice', 'fallback', 'voices'];
    for (const language of all) {
      if (!(language in voices)) {
        report.error(path, 'missing-voice', `no voice for supported language \`${language}\` in \`${dottedPath(path)}\``, `add \`${language}: <voice id>\``);
      }
    }
  }
  const mustBeSupported = (path: DocPath, language: string, onKey: boolean) => {
    if (all.length && !all.includes(language) && LANGUAGE_CODE.test(language)) {
      report.error(path, 'language', `\`${dottedPath(path)}\`: language \`${language}\` is not in \`languages.supported\` (${all.join(', ')})`, `add \`${language}\` to \`languages.supported\` or remove it here`, onKey);
    }
  };
  for (const language of Object.keys(rec(rec(root.prompt)?.instructions) ?? {})) {
    mustBeSupported(['prompt', 'instructions', language], language, true);
  }
  list(root.routing).forEach((rule, i) =>
    list(rec(rec(rule)?.when)?.language).forEach((language, j) => {
      if (typeof language === 'string') mustBeSupported(['routing', i, 'when', 'language', j], language, false);
    }),
  );
}

function checkOrderings(root: Rec, report: Reporter): void {
  const bargeIn = rec(root.bargeIn);
  const pauseAfterMs = num(bargeIn?.pauseAfterMs);
  const minSpeechMs = num(rec(bargeIn?.confirm)?.minSpeechMs);
  if (pauseAfterMs !== undefined && minSpeechMs !== undefined && pauseAfterMs >= minSpeechMs) {
    report.error(['bargeIn', 'pauseAfterMs'], 'threshold-order', `\`bargeIn.pauseAfterMs\` (${pauseAfterMs} ms) must be less than \`bargeIn.confirm.minSpeechMs\` (${minSpeechMs} ms)`, 'playout must react (pause) before an interruption can be confirmed; lower `pauseAfterMs` or raise `confirm.minSpeechMs`');
  }
  const endpointing = rec(rec(root.turnTaking)?.endpointing);
  const minSilenceMs = num(endpointing?.minSilenceMs);
  const maxSilenceMs = num(endpointing?.maxSilenceMs);
  if (minSilenceMs !== undefined && maxSilenceMs !== undefined && minSilenceMs > maxSilenceMs) {
    report.error(['turnTaking', 'endpointing', 'minSilenceMs'], 'threshold-order', `\`turnTaking.endpointing.minSilenceMs\` (${minSilenceMs} ms) must not exceed \`maxSilenceMs\` (${maxSilenceMs} ms)`, 'lower `minSilenceMs` or raise `maxSilenceMs`: the turn ends after at least min and at most max ms of silence');
  }
  const silence = rec(rec(root.turnTaking)?.callerSilence);
  const reprompt = num(silence?.repromptAfterMs);
  const hangup = num(silence?.hangupAfterMs);
  if (reprompt !== undefined && hangup !== undefined && hangup <= reprompt) {
    report.error(['turnTaking', 'callerSilence', 'hangupAfterMs'], 'threshold-order', `\`turnTaking.callerSilence.hangupAfterMs\` (${hangup} ms) must be greater than \`repromptAfterMs\` (${reprompt} ms)`, 'the agent re-prompts a silent caller before hanging up; raise `hangupAfterMs` or lower `repromptAfterMs`');
  }
}

function checkBargeInPhrases(root: Rec, report: Reporter): void {
  const bargeIn = rec(root.bargeIn);
  const entries = list(bargeIn?.backchannels);
  const keyOf = (phrase: string) => soundKeys(phrase).join(' ');
  const added = entries.filter((x): x is string => typeof x === 'string' && !x.startsWith('-')).map(keyOf);
  list(bargeIn?.interruptPhrases).forEach((phrase, i) => {
    if (typeof phrase === 'string' && added.includes(keyOf(phrase))) {
      report.error(['bargeIn', 'interruptPhrases', i], 'conflict', `\`${phrase}\` is both a backchannel and an interrupt phrase`, 'keep it in one of the two lists');
    }
  });
  entries.forEach((entry, i) => {
    if (typeof entry !== 'string' || !entry.startsWith('-') || entry === REMOVE_ALL_BUILT_INS) return;
    const phrase = entry.slice(1).trim();
    if (phrase !== '' && isBuiltInBackchannel(phrase)) return;
    const why = phrase === '' ? 'names no phrase' : `removes nothing: "${phrase}" is not a built-in backchannel`;
    report.error(['bargeIn', 'backchannels', i], 'reference', `\`bargeIn.backchannels\` entry \`${entry}\` ${why}`, '`-<phrase>` removes a built-in backchannel (`-yeah`), `-*` removes them all; to add a phrase, write it without `-`');
  });
}

/** `/pattern/flags` -> RegExp parts, or undefined for a plain keyword. */
export function parseSlashRegex(text: string): { source: string; flags: string } | undefined {
  const match = /^\/(.+)\/([a-z]*)$/s.exec(text);
  return match ? { source: match[1]!, flags: match[2]! } : undefined;
}

function checkRegexes(root: Rec, report: Reporter): void {
  const tryCompile = (path: DocPath, source: string, flags: string) => {
    try {
      new RegExp(source, flags);
    } catch (error) {
      const reason = (error as Error).message.replace(/^Invalid (regular expression|flags supplied to RegExp constructor)( '[^']*')?: /, '');
      report.error(path, 'regex', `\`${dottedPath(path)}\` is not a valid regular expression: ${reason}`, 'close every `(` and `[`, and escape characters meant literally (`\\(`, `\\[`, `\\?`, `\\+`)');
    }
  };
  for (const [name, words] of Object.entries(rec(root.intents) ?? {})) {
    list(words).forEach((word, i) => {
      const parsed = typeof word === 'string' ? parseSlashRegex(word) : undefined;
      if (parsed) tryCompile(['intents', name, i], parsed.source, parsed.flags);
    });
  }
  list(root.routing).forEach((rule, i) => {
    const transcript = str(rec(rec(rule)?.when)?.transcript);
    if (transcript) tryCompile(['routing', i, 'when', 'transcript'], transcript, 'i');
  });
  list(rec(root.offline)?.replies).forEach((reply, i) => {
    const transcript = str(rec(rec(reply)?.when)?.transcript);
    if (transcript) tryCompile(['offline', 'replies', i, 'when', 'transcript'], transcript, 'i');
    for (const [slot, pattern] of Object.entries(rec(rec(reply)?.capture) ?? {})) {
      if (typeof pattern === 'string') tryCompile(['offline', 'replies', i, 'capture', slot], pattern, 'i');
    }
  });
}

/** Shapes of real provider keys: OpenAI `sk-...`/`sk-proj-...`, ElevenLabs `sk_<hex>`, Anthropic `sk-ant-...`, bearer tokens. */
const KEY_SHAPES = [/\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}/, /\bsk_[a-f0-9]{32,}\b/, /\bBearer\s+[A-Za-z0-9._-]{20,}/];
/** Fields whose whole value is a credential: anything literal there is a leak. */
const KEY_FIELDS = /^(apiKey|api_key|key|token|secret|password)$/i;

/** Paths reported as literal secrets, so the schema's pattern error on the same field can be dropped. */
export const LITERAL_SECRET_CODE: DiagnosticCode = 'literal-secret';

function checkLiteralSecrets(node: unknown, path: (string | number)[], report: Reporter, root: Rec): void {
  if (typeof node === 'string') {
    if (/^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/.test(node)) return;
    const field = String(path[path.length - 1] ?? '');
    // A capture slot may be called `password` or `token`: its value is a pattern, not a credential.
    const credentialField = (path.length === 2 && path[0] === 'secrets') || (KEY_FIELDS.test(field) && path[path.length - 2] !== 'capture');
    // An all-caps word is a variable name missing its `${env:...}`: not a leak, and the schema says how to write it.
    const variableName = /^[A-Z][A-Z0-9_]*$/.test(node);
    const keyShaped = KEY_SHAPES.some((re) => re.test(node));
    // `${OPENAI_API_KEY}` (shell syntax) or `${ENV:...}` names a variable too; the schema's `${env:...}` pattern
    // error says how to write it, which helps more than calling it a leaked key.
    if (!keyShaped && credentialField && misspelledEnvReference(node)) return;
    if (!keyShaped && !(credentialField && !variableName && node.length >= 16 && !/\s/.test(node))) return;
    const variable = envVariableFor(path, node, root);
    const where = `\`${dottedPath(path)}\``;
    if (credentialField) {
      report.error(path, 'literal-secret', `${where} looks like a literal API key; keys must not be committed`, `write \`\${env:${variable}}\` and set ${variable} in the environment where the agent runs`);
    } else {
      report.error(path, 'literal-secret', `${where} contains what looks like an API key; keys must not be committed`, `remove it; keys belong in the environment, referenced as \`\${env:${variable}}\` from \`secrets\` or an \`apiKey\` field`);
    }
    return;
  }
  if (Array.isArray(node)) node.forEach((item, i) => checkLiteralSecrets(item, [...path, i], report, root));
  else if (rec(node)) for (const [k, v] of Object.entries(node as Rec)) checkLiteralSecrets(v, [...path, k], report, root);
}

/** The environment variable a hint should suggest: named after the secret, or after the provider the key is for. */
function envVariableFor(path: (string | number)[], value: string, root: Rec): string {
  if (path.length === 2 && path[0] === 'secrets') return `${String(path[1]).toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;
  const elevenLabsShape = /\bsk_[a-f0-9]{32,}\b/.test(value);
  const voiceProvider = path[0] === 'voice' ? str(rec(path[1] === 'fallback' ? rec(root.voice)?.fallback : root.voice)?.provider) : undefined;
  return elevenLabsShape || voiceProvider === 'elevenlabs' ? 'ELEVENLABS_API_KEY' : 'OPENAI_API_KEY';
}
