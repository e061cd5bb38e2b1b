/**
 * The mocks of bench:e2e and bench:e2e-floor: what each mode talks to, the scripted question and reply, and the
 * latency profiles. One definition, so the floor is measured against exactly the mocks the runtime is.
 */
import { startMocks, type Mocks } from '../test/integration/call-rig.js';

export type Mode = 'cascade' | 'dualplex' | 'speech-to-speech';
export const MODES: readonly Mode[] = ['cascade', 'dualplex', 'speech-to-speech'];

/** What the mocks wait, ms. */
export interface Profile {
  readonly name: string;
  /** Transcription final after the commit (Realtime `transcriptionMs`). */
  readonly transcriptionMs: number;
  /** First LLM token (chat `ttftMs`, Realtime `firstDeltaMs`). */
  readonly firstTokenMs: number;
  /** ElevenLabs first audio after the first text (`firstAudioMs`); speech-to-speech audio comes with its text. */
  readonly firstAudioMs: number;
}
export const PROFILES: readonly Profile[] = [
  { name: 'fixed', transcriptionMs: 120, firstTokenMs: 200, firstAudioMs: 150 },
  { name: 'zero', transcriptionMs: 0, firstTokenMs: 0, firstAudioMs: 0 },
];

export const QUESTION = 'Do you have parking nearby?';
export const REPLY = 'Yes, there is free parking. It is right behind the building.';
/** Audio the mocks make per reply: ElevenLabs 20 ms a character, Realtime 60 ms a token (about 1.2 s a reply). */
export const MS_PER_CHAR = 20;
export const AUDIO_MS_PER_TOKEN = 60;

/** Starts the mocks `mode` needs, waiting as `profile` says; `tokenIntervalMs` paces the reply's tokens. */
export function startModeMocks(mode: Mode, profile: Profile, tokenIntervalMs = 0): Promise<Mocks> {
  const transcription = { transcripts: [QUESTION], transcriptionMs: profile.transcriptionMs };
  const elevenlabs = { firstAudioMs: profile.firstAudioMs, msPerChar: MS_PER_CHAR };
  if (mode === 'cascade') return startMocks({ realtime: transcription, chat: { reply: REPLY, ttftMs: profile.firstTokenMs, tokenIntervalMs }, elevenlabs });
  const realtime = { ...transcription, reply: REPLY, firstDeltaMs: profile.firstTokenMs, deltaIntervalMs: tokenIntervalMs, audioMsPerToken: AUDIO_MS_PER_TOKEN };
  return mode === 'dualplex' ? startMocks({ realtime, elevenlabs }) : startMocks({ realtime });
}
