/**
 * The lines `bench:quality` runs calls over: a base line (G.711 mu-law, pink noise 20 dB below the caller,
 * no echo, no loss) and one axis changed at a time around it (noise, recorded speech, echo path, codec and
 * loss, backchannel spellings per language), plus a few hard combinations. Representative, not a cross
 * product: ~30 lines x 3 event types x `--per-type` calls runs in a few minutes.
 */
import type { Scenario } from '../../runtime/sim/index.js';

/** Languages the benchmark's callers speak. */
export type BenchLanguage = 'en' | 'fr' | 'zh';

/** Which side of the targets a line falls on: noise at 10 dB SNR or better (or none), or worse. */
export type SnrGroup = '>=10dB' | '5dB';

/** One line condition of the benchmark. */
export interface QualityCondition {
  /** Name given to `--conditions`. */
  readonly name: string;
  /** What differs from the base line, for the table. */
  readonly description: string;
  /** The axis varied (`base`, `hard` for combinations). */
  readonly axis: 'base' | 'noise' | 'speech' | 'echo' | 'codec' | 'backchannels' | 'hard';
  /** Agent the calls run against: the receptionist (English), or the multilingual concierge in `language`. */
  readonly agent: 'receptionist' | 'multilingual';
  readonly language: BenchLanguage;
  /** The line; a recorded noise names its file relative to `scenarios/recordings/`. */
  readonly channel: Scenario['channel'];
  /** Real interruptions are cut from the JFK recording (a real speaker), not synthesised. */
  readonly recordedSpeech?: boolean;
  /** Backchannels the caller says (default: the language's list in {@link LANGUAGES}). */
  readonly backchannels?: readonly string[];
}

/** What a caller says and hears, per language. */
export interface LanguageMaterial {
  /** The caller's first line (answered with {@link LanguageMaterial.longAnswer}). */
  readonly question: string;
  /** The agent's answer to everything: ~9 s, long enough to be interrupted anywhere in its first 5 s. */
  readonly longAnswer: string;
  readonly interruptions: readonly string[];
  readonly backchannels: readonly string[];
}

/** Per-language lines: the backchannel spellings are the ones recognisers write (issue 18, item 4). */
export const LANGUAGES: Readonly<Record<BenchLanguage, LanguageMaterial>> = {
  en: {
    question: 'Tell me about your practice.',
    longAnswer:
      'We offer check-ups, cleanings, fillings, whitening and emergency visits. Most appointments take about forty minutes. ' +
      'We are open on weekdays from eight to six, and on Saturday mornings. Parking is free behind the building, and the entrance is on the left.',
    interruptions: ['Actually, can I ask about prices?', 'Sorry, what about Saturday?', 'Hang on, I need a different day.', 'No, I meant next week.', 'Can you repeat the first part?'],
    backchannels: ['uh-huh', 'mm-hmm', 'mhmm', 'yeah', 'yep', 'right', 'okay'],
  },
  fr: {
    question: "Pouvez-vous me parler de l'hôtel ?",
    longAnswer:
      "L'hôtel compte cent vingt chambres, un restaurant, une piscine couverte et une salle de sport ouverte jour et nuit. " +
      'La réception est ouverte à toute heure, et le parking se trouve derrière le bâtiment. Le centre-ville est à dix minutes à pied, en longeant le port.',
    interruptions: ["Excusez-moi, c'est combien la chambre ?", 'Et pour le parking, il faut réserver ?', 'Non, je voulais dire la semaine prochaine.', 'Vous pouvez répéter le début ?', "Est-ce qu'il y a une navette pour la gare ?"],
    backchannels: ['oui', 'ouais', "d'accord"],
  },
  zh: {
    question: '请介绍一下你们酒店。',
    longAnswer: '我们酒店有一百二十间客房，一个餐厅，一个室内游泳池和一个全天开放的健身房。前台二十四小时服务，停车场在大楼后面。从酒店沿着海港步行十分钟就到市中心。',
    interruptions: ['不好意思，房间多少钱？', '请问周六还有空房吗？', '我是说下个星期。', '能再说一遍吗？', '有没有去火车站的班车？'],
    backchannels: ['嗯', '对', '好的'],
  },
};

/**
 * Interruptions cut from `scenarios/recordings/jfk.wav` at its pauses (see its NOTICE.md: speech in runs at
 * 0.30-2.20 s, 3.20-4.45 s, 5.40-7.80 s and 8.10-10.90 s), each with its transcript.
 */
export const JFK_CUTS: ReadonlyArray<{ readonly fromMs: number; readonly toMs: number; readonly text: string }> = [
  { fromMs: 150, toMs: 2450, text: 'And so my fellow Americans,' },
  { fromMs: 5250, toMs: 7950, text: 'what your country can do for you,' },
  { fromMs: 7950, toMs: 11_000, text: 'ask what you can do for your country.' },
];

const BASE: Scenario['channel'] = { codec: 'pcmu', noise: { type: 'pink', snrDb: 20 }, packetLossPct: 0 };
const recorded = (file: string, snrDb: number) => ({ type: 'recording' as const, file, snrDb });

/** Builds a condition on the base line with `change` applied to it. */
function line(name: string, description: string, axis: QualityCondition['axis'], channel: Partial<Scenario['channel']>, extra: Partial<QualityCondition> = {}): QualityCondition {
  return { name, description, axis, agent: 'receptionist', language: 'en', channel: { ...BASE, ...channel }, ...extra };
}

/** Every condition, in table order. Seeds derive from the position here: append, never reorder. */
export const CONDITIONS: readonly QualityCondition[] = [
  line('base', 'pcmu, pink 20 dB, no echo, no loss', 'base', {}),
  line('clean', 'no noise', 'noise', { noise: { type: 'none' } }),
  line('pink-10', 'pink 10 dB', 'noise', { noise: { type: 'pink', snrDb: 10 } }),
  line('white-20', 'white 20 dB', 'noise', { noise: { type: 'white', snrDb: 20 } }),
  line('white-10', 'white 10 dB', 'noise', { noise: { type: 'white', snrDb: 10 } }),
  line('babble-15', 'babble 15 dB', 'noise', { noise: { type: 'babble', snrDb: 15 } }),
  line('babble-10', 'babble 10 dB', 'noise', { noise: { type: 'babble', snrDb: 10 } }),
  line('babble-5', 'babble 5 dB', 'noise', { noise: { type: 'babble', snrDb: 5 } }),
  line('office-20', 'office ambience (recorded) 20 dB', 'noise', { noise: recorded('office-ambience.wav', 20) }),
  line('office-10', 'office ambience (recorded) 10 dB', 'noise', { noise: recorded('office-ambience.wav', 10) }),
  line('keyboard-20', 'keyboard typing (recorded) 20 dB', 'noise', { noise: recorded('keyboard-typing.wav', 20) }),
  line('keyboard-10', 'keyboard typing (recorded) 10 dB', 'noise', { noise: recorded('keyboard-typing.wav', 10) }),
  line('jfk', 'interruptions by a real speaker (JFK recording)', 'speech', {}, { recordedSpeech: true }),
  line('echo-100-20', 'echo 100 ms, 20 dB down', 'echo', { echo: { delayMs: 100, attenuationDb: 20 } }),
  line('echo-250-12', 'echo 250 ms, 12 dB down', 'echo', { echo: { delayMs: 250, attenuationDb: 12 } }),
  line('echo-500-10', 'echo 500 ms, 10 dB down (VoIP)', 'echo', { echo: { delayMs: 500, attenuationDb: 10 } }),
  line('echo-800-6', 'echo 800 ms, 6 dB down (speakerphone)', 'echo', { echo: { delayMs: 800, attenuationDb: 6 } }),
  line('pcma', 'G.711 A-law', 'codec', { codec: 'pcma' }),
  line('pcm16', 'linear PCM 16 kHz', 'codec', { codec: 'pcm16' }),
  line('loss-5', '5 % packet loss', 'codec', { packetLossPct: 5 }),
  line('bc-en', 'multilingual agent, en: uh-huh mm-hmm mhmm yeah yep', 'backchannels', {}, { agent: 'multilingual', backchannels: ['uh-huh', 'mm-hmm', 'mhmm', 'yeah', 'yep'] }),
  line('bc-fr', "multilingual agent, fr: oui ouais d'accord", 'backchannels', {}, { agent: 'multilingual', language: 'fr' }),
  line('bc-zh', 'multilingual agent, zh: 嗯 对 好的', 'backchannels', {}, { agent: 'multilingual', language: 'zh' }),
  line('jfk-office-10', 'JFK interruptions, office 10 dB, echo 250 ms 12 dB', 'hard', { noise: recorded('office-ambience.wav', 10), echo: { delayMs: 250, attenuationDb: 12 } }, { recordedSpeech: true }),
  line('babble-10-hard', 'babble 10 dB, echo 500 ms 10 dB, A-law, 5 % loss', 'hard', { codec: 'pcma', noise: { type: 'babble', snrDb: 10 }, echo: { delayMs: 500, attenuationDb: 10 }, packetLossPct: 5 }),
  line('keyboard-10-hard', 'keyboard 10 dB, echo 800 ms 6 dB, 5 % loss', 'hard', { noise: recorded('keyboard-typing.wav', 10), echo: { delayMs: 800, attenuationDb: 6 }, packetLossPct: 5 }),
  line('babble-5-echo', 'babble 5 dB, echo 250 ms 12 dB', 'hard', { noise: { type: 'babble', snrDb: 5 }, echo: { delayMs: 250, attenuationDb: 12 } }),
];

/** The line's SNR, dB (undefined: no noise). */
export function snrOf(condition: QualityCondition): number | undefined {
  const noise = condition.channel.noise;
  return noise && noise.type !== 'none' ? noise.snrDb : undefined;
}

/** The target group of a condition: the issue sets one bar at 10 dB SNR and above (or no noise), another at 5 dB. */
export function snrGroup(condition: QualityCondition): SnrGroup {
  const snr = snrOf(condition);
  return snr === undefined || snr >= 10 ? '>=10dB' : '5dB';
}

/** The conditions named in `names` (all when undefined); throws naming the unknown ones and the known ones. */
export function selectConditions(names: readonly string[] | undefined): QualityCondition[] {
  if (!names) return [...CONDITIONS];
  const unknown = names.filter((n) => !CONDITIONS.some((c) => c.name === n));
  if (unknown.length) throw new Error(`unknown condition(s) ${unknown.join(', ')}: use any of ${CONDITIONS.map((c) => c.name).join(', ')}`);
  return CONDITIONS.filter((c) => names.includes(c.name));
}
