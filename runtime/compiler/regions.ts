import type { AgentSpec } from '../dsl/index.js';
import type { AgentStateNode as StateNodeConfig, AgentTransition as TransitionConfig } from './machine-config.js';

/*
 * The four parallel regions of a call (DESIGN.md section 4). Everything here is data: names of actions,
 * guards, actors and delays, with parameters taken from the agent's YAML. `runtime/call` binds them.
 *
 * Absolute targets use the root id `call`, so a transition in one region can name a state in another
 * without counting dots.
 */

/** Id of the root state node; every absolute target starts with `#call.`. */
export const ROOT_ID = 'call';
const AGENT = `#${ROOT_ID}.active.agent`;

/** `caller`: is the caller speaking right now (VAD, gated against the echo of our own audio). */
export function callerRegion(): StateNodeConfig {
  return {
    description: 'Caller voice activity from the inbound frame pipeline (VAD gated against echo of our own audio).',
    initial: 'silent',
    states: {
      silent: { on: { 'CALLER.SPEECH_START': { target: 'speaking', actions: 'noteCallerSpeechStart' } } },
      speaking: { tags: ['caller-speaking'], on: { 'CALLER.SPEECH_END': { target: 'silent', actions: 'noteCallerSpeechEnd' } } },
    },
  };
}

/** `agent`: idle -> responding (thinking -> speaking <-> paused -> interrupted). */
export function agentRegion(spec: AgentSpec): StateNodeConfig {
  const { bargeIn } = spec;
  const hasGreeting = spec.prompt.greeting !== undefined;
  const speaking: StateNodeConfig = {
    tags: ['agent-speaking'],
    description: 'Agent audio is playing.',
    initial: 'playing',
    states: {
      playing: { on: { 'PLAYOUT.STARVED': { target: 'starved', description: 'Playout ran out of audio before the voice said it was done.' } } },
      starved: {
        description: `The reply's audio stopped coming mid-utterance (a stalled model or voice stream): wait for more, up to the stall bound.`,
        on: { 'PLAYOUT.FED': { target: 'playing' } },
        after: {
          speechStallMs: {
            target: `${AGENT}.idle`,
            actions: 'abandonStalledReply',
            description: 'No audio for the stall bound: give the reply up, keep what was heard, listen again (never a silent call).',
          },
        },
      },
    },
    on: {
      'PLAYOUT.DRAINED': replyPlayed(),
      ...(bargeIn.enabled
        ? {
            'CALLER.SPEECH_START': { actions: 'noteBargeInOnset', description: 'Caller speech over the agent: a barge-in attempt begins (decided below).' },
            'CALLER.SPEECH_MS': {
              guard: { type: 'speechAtLeast', params: { ms: bargeIn.pauseAfterMs } },
              target: 'paused',
              actions: { type: 'reactToOnset', params: { mode: bargeIn.onSpeechStart, duckGainDb: bargeIn.duckGainDb } },
              description: `Caller speech lasted pauseAfterMs (${bargeIn.pauseAfterMs} ms): react (${bargeIn.onSpeechStart}) in the same tick.`,
            },
            'STT.PARTIAL': interruptPhraseTransition(spec),
          }
        : {}),
    },
  };
  // Parameters are built field by field so the JSON does not depend on the key order of the YAML.
  const { minSpeechMs, minWords, minConfidence } = bargeIn.confirm;
  const serverVad = bargeIn.confirm.serverVad && recogniserRunsVad(spec);
  const confirmParams = { minSpeechMs, minWords, minConfidence, serverVad };
  const { at, maxWordTailMs, fadeMs } = bargeIn.cut;
  const paused: StateNodeConfig = {
    tags: ['agent-speaking', 'barge-in-pending'],
    description: 'Caller speech seen during agent speech, not yet confirmed as an interruption.',
    after: {
      falseInterruptionResumeMs: { target: 'speaking', actions: 'resumePlayout', description: 'Nothing confirmed: a false interruption. Resume where playout paused.' },
    },
    on: {
      'STT.PARTIAL': [interruptPhraseTransition(spec), { guard: { type: 'bargeInConfirmed', params: confirmParams }, target: 'interrupted' }],
      'CALLER.SPEECH_MS': { guard: { type: 'bargeInConfirmed', params: confirmParams }, target: 'interrupted' },
      ...(serverVad
        ? {
            'STT.SPEECH_START': {
              guard: { type: 'bargeInConfirmed', params: confirmParams },
              target: 'interrupted',
              description: "The recogniser's own VAD heard the caller too (confirm.serverVad): confirm if the rest holds.",
            },
          }
        : {}),
      'CALLER.SPEECH_START': { actions: 'noteBargeInOnset', description: 'The caller went silent and spoke again: a newer attempt takes over the pause (the older one is closed as false).' },
      'CALLER.SPEECH_END': {
        guard: 'utteranceIsBackchannel',
        target: 'speaking',
        actions: ['resumePlayout', 'discardUtterance'],
        description: 'A backchannel ("uh-huh") never interrupts: resume at once.',
      },
      'PLAYOUT.DRAINED': replyPlayed(),
    },
  };
  const interrupted: StateNodeConfig = {
    description: 'Confirmed barge-in: cut playout, clear the transport, cancel TTS, keep only what the caller heard.',
    entry: [{ type: 'cutPlayout', params: { at, maxWordTailMs, fadeMs } }, 'clearTransport', 'truncateToHeard', 'recordBargeIn'],
    always: { target: `${AGENT}.idle` },
  };
  return {
    description: 'What the agent is doing: idle, or responding (thinking, speaking, paused by caller speech, interrupted).',
    initial: hasGreeting ? 'greeting' : 'idle',
    on: {
      'STT.LOST': {
        target: `${AGENT}.responding`,
        reenter: true,
        actions: 'sayUnavailable',
        description: 'The recogniser cannot be restored: stop any reply, say prompt.unavailable, then hang up.',
      },
    },
    states: {
      ...(hasGreeting ? { greeting: { description: 'The call just connected: say the greeting.', entry: 'queueGreeting', on: { 'AGENT.SAY': { target: 'responding' } } } } : {}),
      idle: {
        initial: 'attentive',
        on: { 'TURN.COMMIT': { target: 'responding', actions: 'queueReply' }, 'AGENT.SAY': { target: 'responding' } },
        states: {
          attentive: {
            description: 'Waiting for the caller; reprompts, then says goodbye, if the caller stays silent.',
            on: { 'CALLER.SPEECH_START': 'callerTalking' },
            after: {
              callerSilenceMs: [
                { guard: 'callerSilenceReachedHangup', actions: 'sayGoodbyeAndHangUp' },
                { actions: 'sayReprompt' },
              ],
            },
          },
          callerTalking: { on: { 'CALLER.SPEECH_END': 'attentive' } },
        },
      },
      closing: {
        description: 'The last reply (goodbye, apology, or the model ending the call) has been sent: hang up once the far end reports it played.',
        on: { 'PLAYOUT.PLAYED': { actions: 'hangUpAfterReply', description: 'The far end played the goodbye to its end.' } },
        after: {
          playedTimeoutMs: { actions: 'hangUpAfterReply', description: 'No played report within its buffered audio plus a margin: hang up anyway.' },
        },
      },
      responding: {
        invoke: { id: 'reply', src: 'reply' },
        initial: 'thinking',
        on: {
          'TURN.COMMIT': { target: 'responding', reenter: true, actions: 'queueReply', description: 'A newer caller turn supersedes this reply.' },
          'REPLY.FAILED': { target: 'idle', actions: 'recordReplyFailure' },
          'REPLY.ENDED_SILENT': replyPlayed(),
        },
        states: {
          thinking: thinkingState(spec),
          speaking,
          // Without barge-in nothing can reach these states: leave them out of the chart.
          ...(bargeIn.enabled ? { paused, interrupted } : {}),
        },
      },
    },
  };
}

/** The reply's last frame went out: back to listening, or, after the call's last words, to `closing`. */
function replyPlayed(): TransitionConfig[] {
  return [
    { guard: 'hangupAfterReply', target: `${AGENT}.closing`, actions: 'completeReply', description: 'That was the last reply: wait for it to be heard, then hang up.' },
    { target: `${AGENT}.idle`, actions: 'completeReply' },
  ];
}

/**
 * Whether the agent's recogniser runs a VAD of its own and reports it: the Realtime session (dualplex,
 * speech-to-speech) or the cascade transcription session with server turn detection.
 */
export function recogniserRunsVad(spec: AgentSpec): boolean {
  if (spec.inference.mode !== 'cascade') return (spec.inference.realtime?.turnDetection ?? 'local') !== 'local';
  return spec.stt.provider === 'openai' && spec.stt.turnDetection !== 'local';
}

function interruptPhraseTransition(spec: AgentSpec): TransitionConfig {
  return {
    guard: { type: 'interruptPhraseHeard', params: { phrases: [...spec.bargeIn.interruptPhrases], minConfidence: spec.bargeIn.confirm.minConfidence } },
    target: `${AGENT}.responding.interrupted`,
    description: 'An interrupt phrase ("stop", "wait") interrupts at once.',
  };
}

function thinkingConfirm(spec: AgentSpec) {
  const { minSpeechMs, minWords, minConfidence } = spec.bargeIn.confirm;
  return { minSpeechMs, minWords: Math.max(1, minWords), minConfidence };
}

function thinkingState(spec: AgentSpec): StateNodeConfig {
  return {
    tags: ['agent-thinking'],
    description: 'Waiting for the reply\'s first audio (LLM first token, then TTS first audio).',
    initial: 'waitingFirstToken',
    after: {
      replyWatchdogMs: {
        target: `${AGENT}.idle`,
        actions: 'abandonStuckReply',
        description: 'Watchdog: no audio long after every first-token timeout. Give the reply up (aborting it) rather than leave the call silent.',
      },
    },
    on: {
      'REPLY.FIRST_AUDIO': { target: 'speaking' },
      ...(spec.bargeIn.enabled
        ? {
            // Words are required, not just voice activity: background chatter must not throw a reply away.
            'STT.PARTIAL': {
              guard: { type: 'bargeInConfirmed', params: thinkingConfirm(spec) },
              target: `${AGENT}.idle`,
              actions: 'abandonReply',
              description: 'The caller speaks again before we answered: abort this reply; the next one covers both utterances.',
            },
          }
        : {}),
    },
    states: {
      waitingFirstToken: {
        on: { 'REPLY.FIRST_TOKEN': 'generating' },
        after: {
          firstTokenTimeoutMs: [
            { guard: 'routedModelHasFallback', target: 'hedging', actions: 'startFallbackModel', description: 'Hedge: start the fallback model in parallel; the first first-token wins.' },
            { target: 'late', actions: 'recordSlowFirstToken' },
          ],
        },
      },
      hedging: { on: { 'REPLY.FIRST_TOKEN': 'generating' } },
      late: { on: { 'REPLY.FIRST_TOKEN': 'generating' } },
      generating: {},
    },
  };
}

/** `turn`: listening -> endpointing -> (awaiting the final transcript) -> commit. */
export function turnRegion(spec: AgentSpec): StateNodeConfig {
  const { endpointing } = spec.turnTaking;
  const commit: TransitionConfig[] = [
    { guard: 'finalTranscriptEmpty', target: 'listening', actions: 'discardUtterance' },
    { target: 'listening', actions: 'commitTurn' },
  ];
  return {
    description: 'The caller\'s turn: collect speech, decide the end of the turn, hand it to the agent.',
    initial: 'listening',
    states: {
      listening: {
        description: 'Collecting the caller\'s words.',
        initial: 'quiet',
        states: {
          quiet: { on: { 'STT.PARTIAL': { target: 'hearingWords' } } },
          hearingWords: {
            description: `Words are coming. If none is new for ${endpointing.maxSilenceMs} ms (counted from the last new word, across noise bursts that reopen the turn) while the VAD still hears sound (babble, a TV, a busy street, typing), the caller has stopped all the same: the turn ends on the recogniser's evidence, not on a VAD that a noisy room keeps open.`,
            on: { 'STT.PARTIAL': { target: 'hearingWords', reenter: true } },
            after: {
              endpointMaxSilenceMs: {
                guard: 'callerStillSpeaking',
                target: '#call.active.turn.endpointing',
                actions: 'endSpeechByWords',
                description: 'No new words for the longest endpointing silence: the end of the caller\'s speech is where the words stopped.',
              },
            },
          },
        },
        on: {
          'CALLER.SPEECH_END': [
            { guard: 'backchannelWhileAgentSpeaks', actions: 'discardUtterance', description: 'Backchannels during agent speech are not turns.' },
            { guard: 'utteranceHeard', target: 'endpointing' },
          ],
          'STT.FINAL': {
            guard: 'utteranceInProgress',
            target: 'finalHeard',
            actions: 'noteFinalTranscript',
            description: 'A final before the end of speech (fast recogniser) or after the caller went on (slow one) still belongs to this turn.',
          },
        },
      },
      finalHeard: {
        description: `The recogniser finalised the words while the VAD still hears sound (background chatter, a TV): without new words for ${endpointing.maxSilenceMs} ms the turn ends anyway.`,
        on: {
          'CALLER.SPEECH_END': { target: 'endpointing' },
          'STT.PARTIAL': { target: 'listening.hearingWords', description: 'More words: the caller is still talking.' },
          'STT.FINAL': { actions: 'noteFinalTranscript' },
        },
        after: { endpointMaxSilenceMs: { target: 'committing' } },
      },
      endpointing: {
        description: `Silence after caller speech: end the turn after ${endpointing.minSilenceMs}-${endpointing.maxSilenceMs} ms depending on the words.`,
        ...(spec.turnTaking.preemptiveGeneration ? { entry: 'startDraft' } : {}),
        on: {
          'CALLER.SPEECH_START': [
            {
              guard: 'utteranceInProgress',
              target: 'listening.hearingWords',
              actions: 'cancelDraft',
              description: 'The caller went on (or a noise burst did): not the end of the turn yet, but the words already heard keep their deadline, so a noisy line cannot hold the turn open.',
            },
            { target: 'listening', actions: 'cancelDraft', description: 'The caller went on: not the end of the turn.' },
          ],
          // Re-entering recomputes the endpoint delay from the final words, minus the silence already waited:
          // recognisers that transcribe after the caller stops (Realtime) would otherwise always wait the maximum.
          'STT.FINAL': { target: 'endpointing', reenter: true, actions: 'noteFinalTranscript' },
          ...(spec.turnTaking.preemptiveGeneration ? { 'STT.PARTIAL': { guard: 'draftWorthStarting', actions: 'startDraft' } } : {}),
        },
        after: {
          endpointDelayMs: [
            { guard: 'hasFinalTranscript', target: 'committing' },
            { target: 'awaitingFinal' },
          ],
        },
      },
      awaitingFinal: {
        description: 'The endpoint is reached but the recogniser has not finalised the transcript yet.',
        on: {
          'STT.FINAL': { target: 'committing', actions: 'noteFinalTranscript' },
          'CALLER.SPEECH_START': [
            { guard: 'utteranceInProgress', target: 'listening.hearingWords', actions: 'cancelDraft' },
            { target: 'listening', actions: 'cancelDraft' },
          ],
        },
        after: { sttFinalTimeoutMs: { target: 'committing', actions: 'useLatestPartialAsFinal' } },
      },
      committing: { always: commit },
    },
  };
}

/** `language`: the current language; a confirmed switch swaps STT language, TTS voice and LLM instruction together. */
export function languageRegion(spec: AgentSpec): StateNodeConfig {
  const { languages } = spec;
  const switching = languages.switching.enabled && languages.supported.length > 1;
  const states: Record<string, StateNodeConfig> = {};
  for (const language of languages.supported) states[language] = { tags: [`language:${language}`] };
  return {
    description: switching ? 'Current language; follows the caller when identification is confident.' : 'Current language (switching disabled).',
    initial: languages.default,
    ...(switching
      ? {
          on: {
            'STT.FINAL': languages.supported.map((to) => ({
              guard: { type: 'languageSwitch', params: { to, minConfidence: languages.switching.minConfidence, minWords: languages.switching.minWords } },
              target: `.${to}`,
              actions: { type: 'switchLanguage', params: { to } },
            })),
          },
        }
      : {}),
    states,
  };
}
