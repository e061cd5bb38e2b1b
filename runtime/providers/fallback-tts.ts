import type { ProviderError } from './errors.js';
import type { TextToSpeech, TtsContext, TtsHooks } from './types.js';

/**
 * A voice with a stand-by: when the primary fails an utterance before any of its audio arrived (socket down
 * after reconnecting, auth, rate limit), the same utterance is spoken by `fallback` from the start, with every
 * piece of text pushed so far. Once audio has arrived, a failure is reported as it is (switching voices
 * mid-sentence would be worse). `onFallback` reports each switch so the call record shows it.
 */
export function withFallbackTts(primary: TextToSpeech, fallback: TextToSpeech, onFallback: (error: ProviderError) => void): TextToSpeech {
  return {
    id: `${primary.id}+${fallback.id}`,
    capabilities: primary.capabilities,
    // The stand-by connects when it is needed: warming it too would hold a second connection per call.
    ...(primary.prewarm ? { prewarm: (target) => primary.prewarm!(target) } : {}),
    open(options, hooks: TtsHooks): TtsContext {
      const pushed: string[] = [];
      let ended = false;
      let audioSeen = false;
      let cancelled = false;
      let current: TtsContext;
      const openFallback = (error: ProviderError) => {
        onFallback(error);
        current = fallback.open(options, hooks);
        for (const text of pushed) current.pushText(text);
        if (ended) current.end();
      };
      current = primary.open(options, {
        onAudio: (chunk) => {
          audioSeen = true;
          hooks.onAudio(chunk);
        },
        onDone: () => hooks.onDone(),
        onError: (error) => {
          if (cancelled) return;
          if (audioSeen) hooks.onError(error);
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
