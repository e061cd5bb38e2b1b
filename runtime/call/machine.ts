import { enqueueActions, fromCallback, setup, type AnyStateMachine } from 'xstate';
import type { CompiledAgent, MachineConfig, StateNodeConfig } from '../compiler/index.js';
import type { CallController } from './call-controller.js';
import type { MachineEvent } from './events.js';
import type { Reply } from './reply.js';
import { confidentWords, containsPhrase, countWords, endpointSilenceMs, isBackchannel, mayBeBackchannel } from './text-rules.js';

/** Statechart context: one reference to the call's controller, which owns the call state. */
export interface CallContext {
  readonly controller: CallController;
}

type Args = { context: CallContext; event: MachineEvent };
type Params = Record<string, unknown>;
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

/** Named guards of the compiled chart. Parameters come from the agent YAML via the compiled config. */
const guards = {
  speechAtLeast: ({ event }: Args, p: Params) => event.type === 'CALLER.SPEECH_MS' && event.speechMs >= Number(p.ms),
  bargeInConfirmed: (args: Args, p: Params) => {
    const controller = c(args);
    const partial = transcriptOf(args.event) ?? controller.utteranceState.partial;
    const words = confidentWords(partial?.words ?? [], Number(p.minConfidence));
    if (controller.pipeline.speechMs < Number(p.minSpeechMs)) return false;
    // A second opinion: the recogniser's VAD must have heard the caller too (it never starts a barge-in).
    if (p.serverVad === true && !controller.recogniserHeardBargeIn()) return false;
    // A recogniser with no live partials (Realtime segments) gives words only after the caller stops:
    // waiting for them would let the pause time out mid-interruption, so duration decides.
    if (!controller.sttHasPartials) return words.length === 0 || !mayBeBackchannel(words, p.backchannels as string[]);
    if (words.length < Number(p.minWords)) return false;
    // "yeah" may be the start of "yeah but..." or a backchannel: not an interruption until a real word comes.
    return !mayBeBackchannel(words, p.backchannels as string[]);
  },
  interruptPhraseHeard: (args: Args, p: Params) => {
    const words = confidentWords(transcriptOf(args.event)?.words ?? [], Number(p.minConfidence));
    return (p.phrases as string[]).some((phrase) => containsPhrase(words, phrase));
  },
  utteranceIsBackchannel: (args: Args, p: Params) => isBackchannel(utteranceText(c(args), args.event), p.backchannels as string[]),
  backchannelWhileAgentSpeaks: (args: Args) => {
    const controller = c(args);
    return controller.isAgentSpeaking() && isBackchannel(utteranceText(controller, args.event), controller.spec.bargeIn.backchannels);
  },
  utteranceHeard: () => true,
  /** Words of the current utterance were recognised and it was not discarded (noise, backchannel) since. */
  utteranceInProgress: (args: Args) => c(args).utteranceState.partial !== undefined,
  finalTranscriptEmpty: (args: Args) => {
    const controller = c(args);
    const text = controller.utteranceState.final?.text.trim() ?? '';
    return text === '' || (controller.isAgentSpeaking() && isBackchannel(text, controller.spec.bargeIn.backchannels));
  },
  hasFinalTranscript: (args: Args) => c(args).utteranceState.final !== undefined,
  draftWorthStarting: ({ event }: Args) => event.type === 'STT.PARTIAL' && event.transcript.words.length > 0 && event.transcript.words.every((w) => w.stable),
  routedModelHasFallback: (args: Args) => c(args).routedModelHasFallback(),
  callerSilenceReachedHangup: (args: Args) => c(args).callerSilenceReachedHangup(),
  languageSwitch: (args: Args, p: Params) => {
    const t = transcriptOf(args.event);
    if (!t?.language || t.language !== p.to || c(args).language === p.to) return false;
    return (t.languageConfidence ?? 0) >= Number(p.minConfidence) && countWords(t.text) >= Number(p.minWords);
  },
};

/** Named actions of the compiled chart. */
const actions = {
  noteCallerSpeechStart: (args: Args) => args.event.type === 'CALLER.SPEECH_START' && c(args).noteCallerSpeechStart(args.event.onsetMs),
  noteCallerSpeechEnd: (args: Args) => args.event.type === 'CALLER.SPEECH_END' && c(args).noteCallerSpeechEnd(args.event.lastSpeechMs),
  reactToOnset: (args: Args, p: Params) => c(args).reactToOnset(p.mode as 'pause' | 'duck' | 'continue', Number(p.duckGainDb)),
  resumePlayout: (args: Args) => {
    const controller = c(args);
    controller.resumePlayout(isBackchannel(utteranceText(controller, args.event), controller.spec.bargeIn.backchannels) ? 'backchannel' : 'false');
  },
  cutPlayout: (args: Args, p: Params) => c(args).cutPlayout(p as { at: 'word-boundary' | 'immediate'; maxWordTailMs: number; fadeMs: number }),
  clearTransport: (args: Args) => c(args).clearTransport(),
  truncateToHeard: (args: Args) => c(args).truncateToHeard(),
  recordBargeIn: (args: Args) => c(args).recordBargeIn(bargeInReason(c(args), args.event)),
  discardUtterance: (args: Args) => c(args).discardUtterance(),
  queueGreeting: enqueueActions(({ context, enqueue }: { context: CallContext; enqueue: { raise(e: MachineEvent): void } }) => {
    context.controller.queueGreeting();
    enqueue.raise({ type: 'AGENT.SAY' });
  }),
  queueReply: (args: Args) => c(args).queueReply(),
  completeReply: (args: Args) => c(args).completeReply(),
  abandonReply: (args: Args) => c(args).abandonReply(),
  recordReplyFailure: (args: Args) => args.event.type === 'REPLY.FAILED' && c(args).recordReplyFailure(args.event.error),
  startFallbackModel: (args: Args) => c(args).hedge(),
  recordSlowFirstToken: (args: Args) => c(args).recordSlowFirstToken(),
  abandonStuckReply: (args: Args) => c(args).abandonStuckReply(),
  sayUnavailable: (args: Args) => args.event.type === 'STT.LOST' && c(args).sayUnavailable(args.event.error),
  sayReprompt: enqueueActions(({ context, enqueue }: { context: CallContext; enqueue: { raise(e: MachineEvent): void } }) => {
    context.controller.queueFixed('reprompt');
    enqueue.raise({ type: 'AGENT.SAY' });
  }),
  sayGoodbyeAndHangUp: enqueueActions(({ context, enqueue }: { context: CallContext; enqueue: { raise(e: MachineEvent): void } }) => {
    context.controller.queueFixed('goodbye');
    enqueue.raise({ type: 'AGENT.SAY' });
  }),
  noteFinalTranscript: (args: Args) => {
    const t = transcriptOf(args.event);
    if (t) c(args).noteFinalTranscript(t);
  },
  useLatestPartialAsFinal: (args: Args) => c(args).useLatestPartialAsFinal(),
  commitTurn: enqueueActions(({ context, enqueue }: { context: CallContext; enqueue: { raise(e: MachineEvent): void } }) => {
    const controller = context.controller;
    const text = controller.utteranceState.final?.text ?? '';
    const { cue } = endpointSilenceMs(text, controller.spec.turnTaking.endpointing);
    controller.commitTurn(cue);
    enqueue.raise({ type: 'TURN.COMMIT' });
  }),
  startDraft: (args: Args) => c(args).startDraft(),
  cancelDraft: (args: Args) => c(args).cancelDraft(),
  switchLanguage: (args: Args, p: Params) => c(args).switchLanguage(String(p.to)),
  finishCall: (args: Args) => {
    const e = args.event;
    c(args).finish(e.type === 'CALL.HANGUP' ? e.reason : 'agent-hangup');
  },
};

/** The `reply` actor: lives while the agent is `responding`; stopping it cancels the reply (LLM aborted, TTS cancelled). */
const replyActor = fromCallback<{ type: 'HEDGE' }, { controller: CallController }>(({ input }) => {
  const reply: Reply | undefined = input.controller.startReply();
  return () => input.controller.stopReply(reply);
});

/**
 * Binds a compiled agent's chart to the runtime: named guards/actions call into the per-call
 * {@link CallController} held in context; delays come from the compiled numbers or are computed per turn.
 * Built once per agent; every call of that agent runs an actor of this machine.
 */
export function createCallMachine(compiled: CompiledAgent): AnyStateMachine {
  const fixed = compiled.delays;
  const config = withInvokeInput(compiled.machine);
  return setup({
    types: { context: {} as CallContext, events: {} as MachineEvent, input: {} as CallContext },
    guards: guards as never,
    actions: actions as never,
    actors: { reply: replyActor },
    delays: {
      falseInterruptionResumeMs: fixed.falseInterruptionResumeMs ?? 1200,
      sttFinalTimeoutMs: fixed.sttFinalTimeoutMs ?? 1500,
      endpointMaxSilenceMs: fixed.endpointMaxSilenceMs ?? 1200,
      replyWatchdogMs: fixed.replyWatchdogMs ?? 7000,
      endpointDelayMs: ({ context }: { context: CallContext }) => endpointDelay(context.controller),
      firstTokenTimeoutMs: ({ context }: { context: CallContext }) => context.controller.firstTokenTimeoutMs(),
      callerSilenceMs: ({ context }: { context: CallContext }) => context.controller.callerSilenceDelayMs(),
    } as never,
  }).createMachine({ ...(config as object), context: ({ input }: { input: CallContext }) => input } as never) as unknown as AnyStateMachine;
}

/** Silence still to wait: the cue-chosen silence minus what passed since the caller's last speech frame. */
function endpointDelay(controller: CallController): number {
  const u = controller.utteranceState;
  const { ms } = endpointSilenceMs(u.final?.text ?? u.partial?.text ?? '', controller.spec.turnTaking.endpointing);
  const since = u.lastSpeechEndMs === undefined ? 0 : controller.now() - u.lastSpeechEndMs;
  return Math.max(0, ms - since);
}

/** Adds `input: ({ context }) => context` to every invoke: binding, not data, so it happens here and not in the compiler. */
function withInvokeInput(node: MachineConfig | StateNodeConfig): object {
  const states = node.states ? Object.fromEntries(Object.entries(node.states).map(([k, v]) => [k, withInvokeInput(v)])) : undefined;
  return {
    ...node,
    ...(node.invoke ? { invoke: { ...node.invoke, input: ({ context }: { context: CallContext }) => context } } : {}),
    ...(states ? { states } : {}),
  };
}
