import type { ValidationReport } from './validate-paths.js';

/** Options of {@link validateOnline}. */
export interface ValidateOnlineOptions {
  readonly cwd: string;
  /** Environment for `${env:...}` keys (pass `process.env` at the edge). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Per-request timeout, seconds. Default: 15. */
  readonly timeoutS?: number;
  /** Told before each file is checked (progress for long runs). */
  readonly onProgress?: (file: string, index: number, total: number) => void;
}

/**
 * `validate --online`: the offline checks, then every key, model id and voice id against its provider. The
 * provider SDKs (the ElevenLabs one alone takes about 1.5 s to load) are imported here, on use, so nothing
 * that does not check online pays for them.
 */
export async function validateOnline(paths: readonly string[], options: ValidateOnlineOptions): Promise<ValidationReport> {
  const timeoutS = options.timeoutS ?? 15;
  const [{ validatePathsOnline }, { listElevenLabsVoices }, { listOpenAiModels }] = await Promise.all([
    import('./validate-online.js'),
    import('../providers/elevenlabs/index.js'),
    import('../providers/openai/chat-llm.js'),
  ]);
  return validatePathsOnline(paths, {
    cwd: options.cwd,
    online: {
      env: options.env,
      listVoices: (target) => listElevenLabsVoices({ ...target, timeoutS }),
      listModels: (target) => listOpenAiModels({ ...target, timeoutMs: timeoutS * 1000, id: 'openai' }),
    },
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}
