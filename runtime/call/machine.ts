import { enqueueActions, fromCallback, setup, type AnyStateMachine } from 'xstate';
import type { CompiledAgent } from '../compiler/index.js';
import type { ActionParams, DelayName, GuardParams } from '../compiler/vocabulary.js';
import type { CallController } from './call-controller.js';
import type { MachineEvent } from './events.js';
import type { Reply } from './reply.js';
import { confidentWords, containsPhrase, countWords, endpointSilenceMs, isBackchannel, mayBeBackchannel } from './text-rules.js';

/** Statechart context: one reference to the call's controller, which owns the call state. */
export interface CallContext {
  readonly controller: CallController;
}

type Args = { context: CallContext; event: MachineEvent };
const c = ({ context }: Args) => context.controller;
const transcriptOf = (event: MachineEvent) => ('transcript' in event ? event.transcript : undefined);

/** Text of the caller's current utterance: final if there is one, else the latest partial. */
function utteranceText(controller: CallController, event: MachineEvent): string {
  const u = controller.utteranceState;
  return transcriptOf(event)?.text ?? u.final?.text ?? u.partial?.text ?? '';
}

/** What confirmed a barge-in, for the call record. */
function bargeInReason(controller: CallController, event: MachineEvent): string {
  switch (event.type) {
    case 'STT.PARTIAL':
      return `words: "${event.transcript.text}"`;
    case 'CALLER.SPEECH_MS':
      return `speech ${event.speechMs} ms`;
    case 'STT.SPEECH_START':
      return `speech ${controller.pipeline.speechMs} ms, heard by the recogniser's VAD too`;
    default:
      return event.type;
  }
}

/** Every guard the compiler may name, typed from the chart vocabulary (`compiler/vocabulary.ts`). */
const guards: { [K in keyof GuardParams]: (args: Args, params: GuardParams[K]) => boolean } = {
  speechAtLeast: ({ event }, p) => event.type === 'CALLER.SPEECH_MS' && event.speechMs >= p.ms,
  bargeInConfirmed: (args, p) => {
    const controller = c(args);
    const partial = transcriptOf(args.event) ?? controller.utteranceState.partial;
    const words = confidentWords(partial?.words ?? [], p.minConfidence);
    if (controller.pipeline.speechMs < p.minSpeechMs) return false;
    // A second opinion: the recogniser's VAD must have heard the caller too (it never starts a barge-in).
    if (p.serverVad === true && !controller.recogniserHeardBargeIn()) return false;
    // A recogniser with no live partials (Realtime segments) gives words only after the caller stops:
    // waiting for them would let the pause time out mid-interruption, so duration decides.
    if (!controller.sttHasPartials) return words.length === 0 || !mayBeBackchannel(words, controller.backchannels());
    if (words.length < p.minWords) return false;
    // "yeah" may be the start of "yeah but..." or a backchannel: not an interruption until a real word comes.
    return !mayBeBackchannel(words, controller.backchannels());
  },
  interruptPhraseHeard: (args, p) => {
    const words = confidentWords(transcriptOf(args.event)?.words ?? [], p.minConfidence);
    return p.phrases.some((phrase) => containsPhrase(words, phrase));
  },
  utteranceIsBackchannel: (args) => isBackchannel(utteranceText(c(args), args.event), c(args).backchannels()),
  backchannelWhileAgentSpeaks: (args) => {
    const controller = c(args);
    return controller.isAgentSpeaking() && isBackchannel(utteranceText(controller, args.event), controller.backchannels());
  },
  utteranceHeard: () => true,
  /** Words of the current utterance were recognised and it was not discarded (noise, backchannel) since. */
  utteranceInProgress: (args) => c(args).utteranceState.partial !== undefined,
  finalTranscriptEmpty: (args) => {
    const controller = c(args);
    const text = controller.utteranceState.final?.text.trim() ?? '';
    return text === '' || (controller.isAgentSpeaking() && isBackchannel(text, controller.backchannels()));
  },
  hasFinalTranscript: (args) => c(args).utteranceState.final !== undefined,
  callerStillSpeaking: (args) => c(args).pipeline.isSpeaking,
  draftWorthStarting: ({ event }) => event.type === 'STT.PARTIAL' && event.transcript.words.length > 0 && event.transcript.words.every((w) => w.stable),
  routedModelHasFallback: (args) => c(args).replies.routedModelHasFallback(),
  callerSilenceReachedHangup: (args) => c(args).callerSilenceReachedHangup(),
  hangupAfterReply: (args) => c(args).replies.hangupAfterReply(),
  languageSwitch: (args, p) => {
    const t = transcriptOf(args.event);
    if (!t?.language || t.language !== p.to || c(args).language === p.to) return false;
    return (t.languageConfidence ?? 0) >= p.minConfidence && countWords(t.text) >= p.minWords;
  },
};

/**
 * Every action the compiler may name, typed from the chart vocabulary. Most are plain functions; the few that
 * raise an event in the same macrostep are `enqueueActions`.
 */
const plainActions: { [K in Exclude<keyof ActionParams, 'queueGreeting' | 'sayReprompt' | 'sayGoodbyeAndHangUp' | 'commitTurn' | 'hangUpAfterReply'>]: (args: Args, params: ActionParams[K]) => void } = {
  noteCallerSpeechStart: (args) => args.event.type === 'CALLER.SPEECH_START' && c(args).noteCallerSpeechStart(),
  noteBargeInOnset: (args) => args.event.type === 'CALLER.SPEECH_START' && c(args).noteBargeInOnset(args.event.onsetMs),
  noteCallerSpeechEnd: (args) => args.event.type === 'CALLER.SPEECH_END' && c(args).noteCallerSpeechEnd(args.event.lastSpeechMs),
  reactToOnset: (args, p) => c(args).reactToOnset(p.mode, p.duckGainDb),
  resumePlayout: (args) => {
    const controller = c(args);
    controller.resumePlayout(isBackchannel(utteranceText(controller, args.event), controller.backchannels()) ? 'backchannel' : 'false');
  },
  cutPlayout: (args, p) => c(args).cutPlayout(p),
  clearTransport: (args) => c(args).clearTransport(),
  truncateToHeard: (args) => c(args).truncateToHeard(),
  recordBargeIn: (args) => c(args).recordBargeIn(bargeInReason(c(args), args.event)),
  discardUtterance: (args) => c(args).dropUtterance(),
  queueReply: (args) => c(args).replies.queueReply(),
  completeReply: (args) => c(args).replies.completeReply(),
  abandonReply: (args) => c(args).abandonReply(),
  recordReplyFailure: (args) => args.event.type === 'REPLY.FAILED' && c(args).replies.recordReplyFailure(args.event.error),
  startFallbackModel: (args) => c(args).replies.hedge(),
  recordSlowFirstToken: (args) => c(args).replies.recordSlowFirstToken(),
  abandonStuckReply: (args) => c(args).replies.abandonStuckReply(),
  abandonStalledReply: () => {
    /* bound per agent in createCallMachine: it needs the compiled stall bound */
  },
  sayUnavailable: (args) => args.event.type === 'STT.LOST' && c(args).replies.sayUnavailable(args.event.error),
  noteFinalTranscript: (args) => {
    const t = transcriptOf(args.event);
    if (t) c(args).noteFinalTranscript(t);
  },
  useLatestPartialAsFinal: (args) => c(args).useLatestPartialAsFinal(),
  endSpeechByWords: (args) => c(args).endSpeechByWords(),
  startDraft: (args) => c(args).replies.startDraft(),
  cancelDraft: (args) => c(args).replies.cancelDraft(),
  switchLanguage: (args, p) => c(args).switchLanguage(p.to),
  finishCall: (args) => {
    const e = args.event;
    c(args).finish(e.type === 'CALL.HANGUP' ? e.reason : 'agent-hangup');
  },
};

/** The `reply` actor: lives while the agent is `responding`; stopping it cancels the reply (LLM aborted, TTS cancelled). */
const replyActor = fromCallback<{ type: 'HEDGE' }, CallContext | undefined>(({ input }) => {
  // `input` is always bound (withInvokeInput); its type allows none so the compiled invoke needs no function.
  if (!input) return undefined;
  const reply: Reply | undefined = input.controller.replies.startReply();
  return () => input.controller.replies.stopReply(reply);
});

/**
 * Binds a compiled agent's chart to the runtime: named guards/actions call into the per-call
 * {@link CallController} held in context; delays come from the compiled numbers or are computed per turn.
 * Built once per agent; every call of that agent runs an actor of this machine.
 */
export function createCallMachine(compiled: CompiledAgent): AnyStateMachine {
  const fixed = compiled.delays;
  const stall = compiled.dynamicDelays.speechStallMs;
  const stallMs = typeof stall?.ms === 'number' ? stall.ms : 5000;
  const played = compiled.dynamicDelays.playedTimeoutMs;
  const playedMarginMs = typeof played?.afterBufferedMs === 'number' ? played.afterBufferedMs : 1000;
  type DelayFn = (args: { context: CallContext }) => number;
  const delays: { [K in DelayName]: number | DelayFn } = {
    falseInterruptionResumeMs: fixed.falseInterruptionResumeMs ?? 1200,
    sttFinalTimeoutMs: fixed.sttFinalTimeoutMs ?? 1500,
    // Counted from the last new word, not from entering the state: a noise burst that sends the turn back to
    // listening must not restart it (bench:quality: keyboard lines left first lines unanswered for 4 s).
    endpointMaxSilenceMs: ({ context }) => untilWordsSilent(context.controller, fixed.endpointMaxSilenceMs ?? 1200),
    replyWatchdogMs: fixed.replyWatchdogMs ?? 7000,
    speechStallMs: stallMs,
    endpointDelayMs: ({ context }) => endpointDelay(context.controller),
    firstTokenTimeoutMs: ({ context }) => context.controller.replies.firstTokenTimeoutMs(),
    callerSilenceMs: ({ context }) => context.controller.callerSilenceDelayMs(),
    playedTimeoutMs: ({ context }) => context.controller.replies.playedTimeoutMs(playedMarginMs),
  };
  return setup({
    types: { context: {} as CallContext, events: {} as MachineEvent, input: {} as CallContext },
    guards,
    actions: {
      ...plainActions,
      abandonStalledReply: (args: Args) => c(args).replies.abandonStalledReply(stallMs),
      // These raise an event in the same macrostep: `AGENT.SAY` takes the agent region into `responding`.
      queueGreeting: enqueueActions(({ context, enqueue }) => {
        context.controller.replies.queueGreeting();
        enqueue.raise({ type: 'AGENT.SAY' });
      }),
      sayReprompt: enqueueActions(({ context, enqueue }) => {
        context.controller.replies.queueFixed('reprompt');
        enqueue.raise({ type: 'AGENT.SAY' });
      }),
      sayGoodbyeAndHangUp: enqueueActions(({ context, enqueue }) => {
        context.controller.replies.queueFixed('goodbye');
        enqueue.raise({ type: 'AGENT.SAY' });
      }),
      commitTurn: enqueueActions(({ context, enqueue }) => {
        const controller = context.controller;
        const { cue } = endpointSilenceMs(controller.utteranceState.final?.text ?? '', controller.spec.turnTaking.endpointing);
        controller.commitTurn(cue);
        enqueue.raise({ type: 'TURN.COMMIT' });
      }),
      hangUpAfterReply: enqueueActions(({ context, enqueue }) => {
        enqueue.raise({ type: 'CALL.HANGUP', reason: context.controller.replies.hangUpReason() });
      }),
    },
    actors: { reply: replyActor },
    delays,
  }).createMachine({ ...withInvokeInput(compiled.machine), context: ({ input }) => input });
}

/** Silence still to wait: the cue-chosen silence minus what passed since the caller's last speech frame. */
function endpointDelay(controller: CallController): number {
  const u = controller.utteranceState;
  const { ms } = endpointSilenceMs(u.final?.text ?? u.partial?.text ?? '', controller.spec.turnTaking.endpointing);
  const since = u.lastSpeechEndMs === undefined ? 0 : controller.now() - u.lastSpeechEndMs;
  return Math.max(0, ms - since);
}

type Node = CompiledAgent['machine'];

/** Adds `input: ({ context }) => context` to every invoke: binding, not data, so it happens here and not in the compiler. */
function withInvokeInput<N extends Omit<Node, 'id'>>(node: N): N {
  const states = node.states ? Object.fromEntries(Object.entries(node.states).map(([k, v]) => [k, withInvokeInput(v)])) : undefined;
  return {
    ...node,
    ...(node.invoke ? { invoke: { ...node.invoke, input: ({ context }: { context: CallContext }) => context } } : {}),
    ...(states ? { states } : {}),
  };
}

/**
 * What is left of `maxSilenceMs` since the caller's words last changed (all of it before any word), or since
 * the caller's speech first started again after them, whichever ends later: a caller who goes on after a
 * long pause gets a full window for new words, while later noise bursts do not extend it.
 */
function untilWordsSilent(controller: CallController, maxSilenceMs: number): number {
  const { wordsChangedAtMs, resumedAtMs } = controller.utteranceState;
  if (wordsChangedAtMs === undefined) return maxSilenceMs;
  const deadlineMs = Math.max(wordsChangedAtMs, resumedAtMs ?? wordsChangedAtMs) + maxSilenceMs;
  return Math.max(0, deadlineMs - controller.now());
}
