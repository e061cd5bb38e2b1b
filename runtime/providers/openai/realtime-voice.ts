import type { TextToSpeech, TtsContext, TtsHooks } from '../types.js';
import type { RealtimeChannel } from './realtime-adapters.js';

/**
 * Speech-to-speech: the realtime model's own audio as a {@link TextToSpeech}, so the runtime's reply pipeline
 * (playout, word-boundary cut, "what was heard") works unchanged. A context plays the audio of one response:
 * the one in progress and not yet claimed when it opens, else the next one created. Text pushed into it is
 * ignored (it is the model's transcript of that same audio); alignment comes with the audio deltas.
 */
export function realtimeVoice(channel: RealtimeChannel): TextToSpeech {
  const claimed = new Set<string>();
  /** Responses in progress, with the session that created them. */
  const active = new Map<string, RealtimeChannel['session']>();
  channel.subscribe({
    onResponseCreated: (id) => active.set(id, channel.session),
    onResponseDone: (id) => active.delete(id),
  });
  return {
    id: `${channel.inference.id}-voice`,
    capabilities: { alignment: 'char', maxContexts: 1 },
    open(_options, hooks: TtsHooks): TtsContext {
      // A dropped session's responses never get their response.done and will never speak: forget them, or the
      // first reply after the channel reconnects would wait for one of them (an unclaimed one: created after
      // its reply was cut) instead of playing the new session's response. (Response ids are the server's; after
      // a reconnect only the current session's mean anything.)
      for (const [id, session] of active) {
        if (session === channel.session) continue;
        active.delete(id);
        claimed.delete(id);
      }
      let responseId = [...active.keys()].find((id) => !claimed.has(id));
      if (responseId) claimed.add(responseId);
      let ended = false;
      let done = false;
      let stopped = false;
      const finish = () => {
        if (done || stopped || !ended) return;
        done = true;
        unsubscribe();
        hooks.onDone();
      };
      let responseDone = false;
      const unsubscribe = channel.subscribe({
        onResponseCreated: (id) => {
          if (responseId === undefined && !claimed.has(id)) {
            responseId = id;
            claimed.add(id);
          }
        },
        onAudioDelta: (id, chunk) => {
          if (!stopped && id === responseId) hooks.onAudio(chunk);
        },
        onResponseDone: (id) => {
          if (id !== responseId) return;
          responseDone = true;
          claimed.delete(id);
          finish();
        },
        onResponseFailed: (_tag, id, error) => {
          if (stopped || (id !== undefined && id !== responseId)) return;
          stopped = true;
          unsubscribe();
          hooks.onError(error);
        },
      });
      return {
        pushText: () => {},
        end: () => {
          ended = true;
          if (responseDone) finish();
        },
        cancel: () => {
          // The language-model side aborts the request, which cancels the response on the server.
          stopped = true;
          unsubscribe();
        },
      };
    },
  };
}
