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
  let fixedTexts = 0;
  /**
   * Asks the model to speak `text` word for word as one response (its instructions replace the session's for
   * this response only). The response's audio item, with its transcript, stays in the model's history as what
   * the agent said.
   */
  const sayFixedText = (text: string, language: string, tag: string): void => {
    const session = channel.session ?? channel.open({ language, sampleRate: 24000 });
    session.createResponse({ instructions: fixedTextInstructions(text), tag });
  };
  /** Responses in progress, with the session that created them. */
  const active = new Map<string, RealtimeChannel['session']>();
  channel.subscribe({
    onResponseCreated: (id) => active.set(id, channel.session),
    onResponseDone: (id) => active.delete(id),
  });
  return {
    id: `${channel.inference.id}-voice`,
    capabilities: { alignment: 'estimated', maxContexts: 1 },
    open(options, hooks: TtsHooks): TtsContext {
      // A dropped session's responses never get their response.done and will never speak: forget them, or the
      // first reply after the channel reconnects would wait for one of them (an unclaimed one: created after
      // its reply was cut) instead of playing the new session's response. (Response ids are the server's; after
      // a reconnect only the current session's mean anything.)
      for (const [id, session] of active) {
        if (session === channel.session) continue;
        active.delete(id);
        claimed.delete(id);
      }
      // A fixed text (greeting, reprompt, goodbye) comes from no model request: the model is asked to say it, and
      // this context plays that response alone. A model reply plays the response its request created.
      const fixedTag = options.fixedText !== undefined ? `say_${++fixedTexts}` : undefined;
      let responseId = fixedTag ? undefined : [...active.keys()].find((id) => !claimed.has(id));
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
        onResponseCreated: (id, tag) => {
          if (fixedTag !== undefined) {
            if (tag === fixedTag) {
              responseId = id;
              claimed.add(id);
            }
            return;
          }
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
        onResponseFailed: (tag, id, error) => {
          if (stopped || (fixedTag !== undefined && tag !== fixedTag && id !== responseId) || (fixedTag === undefined && id !== undefined && id !== responseId)) return;
          stopped = true;
          unsubscribe();
          hooks.onError(error);
        },
      });
      if (fixedTag !== undefined) sayFixedText(options.fixedText!, options.language, fixedTag);
      return {
        pushText: () => {},
        end: () => {
          ended = true;
          if (responseDone) finish();
        },
        cancel: () => {
          // The language-model side aborts the request, which cancels the response on the server. A fixed text
          // has no request: its response is cancelled here.
          if (fixedTag !== undefined && !responseDone) channel.session?.cancelResponse(responseId);
          stopped = true;
          unsubscribe();
        },
      };
    },
  };
}

/** Instructions that make a realtime model say exactly `text`. */
export function fixedTextInstructions(text: string): string {
  return `Say exactly the following text, word for word, in its language, and nothing else (no greeting of your own, no question, no comment): ${JSON.stringify(text)}`;
}
