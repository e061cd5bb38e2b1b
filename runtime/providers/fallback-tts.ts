import type { Clock } from '../util/clock.js';
import type { ProviderError } from './errors.js';
import type { TextToSpeech, TtsContext, TtsHooks } from './types.js';

/** Options of {@link withFallbackTts}. */
export interface FallbackTtsOptions {
  /** Which failures switch to the fallback; any other is reported as it is. Default: every failure. */
  readonly when?: (error: ProviderError) => boolean;
  /**
   * After a switch, later utterances go straight to the fallback for this many ms, then the primary is tried
   * again: a primary that cannot connect fails each utterance only after its reconnect attempts (seconds of
   * silence), so it should not be asked again at every reply. Needs `clock`. Default: 0 (always try it first).
   */
  readonly coolDownMs?: number;
  readonly clock?: Clock;
}

/**
 * A voice with a stand-by: when the primary fails an utterance before any of its audio arrived (socket down
 * after reconnecting, auth, rate limit), the same utterance is spoken by `fallback` from the start, with every
 * piece of text pushed so far. Once audio has arrived, a failure is reported as it is (switching voices
 * mid-sentence would be worse). `onFallback` reports each switch so the call record shows it; utterances sent
 * straight to the fallback during a cool-down are not reported again.
 */
export function withFallbackTts(primary: TextToSpeech, fallback: TextToSpeech, onFallback: (error: ProviderError) => void, options: FallbackTtsOptions = {}): TextToSpeech {
  const coolDownMs = options.coolDownMs ?? 0;
  if (!(coolDownMs >= 0)) throw new RangeError(`withFallbackTts: coolDownMs must be >= 0 (got ${coolDownMs})`);
  if (coolDownMs > 0 && !options.clock) throw new TypeError('withFallbackTts: coolDownMs needs a clock');
  let primaryAgainAt = -Infinity;
  const coolingDown = () => options.clock !== undefined && options.clock.now() < primaryAgainAt;
  return {
    id: `${primary.id}+${fallback.id}`,
    capabilities: primary.capabilities,
    // The stand-by connects when it is needed: warming it too would hold a second connection per call.
    ...(primary.prewarm ? { prewarm: (target) => primary.prewarm!(target) } : {}),
    open(openOptions, hooks: TtsHooks): TtsContext {
      if (coolingDown()) return fallback.open(openOptions, hooks);
      const pushed: string[] = [];
      let ended = false;
      let audioSeen = false;
      let cancelled = false;
      let current: TtsContext;
      const openFallback = (error: ProviderError) => {
        if (options.clock && coolDownMs > 0) primaryAgainAt = options.clock.now() + coolDownMs;
        onFallback(error);
        current = fallback.open(openOptions, hooks);
        for (const text of pushed) current.pushText(text);
        if (ended) current.end();
      };
      current = primary.open(openOptions, {
        onAudio: (chunk) => {
          audioSeen = true;
          hooks.onAudio(chunk);
        },
        onDone: () => hooks.onDone(),
        onError: (error) => {
          if (cancelled) return;
          if (audioSeen || (options.when && !options.when(error))) hooks.onError(error);
          else openFallback(error);
        },
      });
      return {
        pushText: (text) => {
          pushed.push(text);
          current.pushText(text);
        },
        end: () => {
          ended = true;
          current.end();
        },
        cancel: () => {
          cancelled = true;
          current.cancel();
        },
      };
    },
  };
}
