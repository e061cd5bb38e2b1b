import { localize, REALTIME_PROFILE, routeTurn, type AgentSpec, type LocalizedText } from '../dsl/index.js';
import type { CallProviders } from '../providers/call-providers.js';
import type { ChatMessage } from '../providers/types.js';
import type { TurnRecord } from './call-record.js';
import { PreemptiveDraft } from './preemptive-draft.js';
import { startRequest, type ModelChoice, type ReplyPlan } from './reply.js';

/** The fixed texts an agent speaks (`prompt.*`). */
export type FixedPurpose = Extract<ReplyPlan, { kind: 'fixed' }>['purpose'];

/**
 * What the agent says next: a fixed text (greeting, reprompt, goodbye, apology) or a model reply routed by the
 * agent's rules, with its request sent at once (or a preemptive draft of the same question adopted). Holds at
 * most one queued plan; a queued request nobody will read any more is aborted.
 */
export class ReplyPlanner {
  private plan: ReplyPlan | undefined;
  private readonly draft = new PreemptiveDraft();

  constructor(
    private readonly spec: AgentSpec,
    private readonly providers: CallProviders,
    /** Whether the call degraded to a cascade (realtime turns then go to `degradeTo`). */
    private readonly degraded: () => boolean,
  ) {}

  /** The queued plan, if it has not been taken by a reply yet. */
  get queued(): ReplyPlan | undefined {
    return this.plan;
  }

  /** Takes the queued plan (a reply starts on it). */
  take(): ReplyPlan | undefined {
    const plan = this.plan;
    this.plan = undefined;
    return plan;
  }

  /** Queues a fixed text in `language`; returns it (empty when the agent has none). */
  queueFixed(purpose: FixedPurpose, language: string): string {
    const text = this.localized(this.spec.prompt[purpose], language) ?? '';
    this.set({ kind: 'fixed', text, purpose });
    return text;
  }

  /** Routes the committed turn and sends its model request now, adopting a preemptive draft of the same text. */
  queueModelReply(turn: TurnRecord, messages: readonly ChatMessage[], language: string): void {
    const route = routeTurn(this.spec, { transcript: turn.userText, language, turn: turn.index });
    const primary = this.modelChoice(route.profile);
    const fallbackName = this.spec.models[route.profile]?.fallback;
    // A language switch or a truncated agent message since the draft started makes it a different question.
    const { stream: draft, outcome } = this.draft.adopt(route.profile, messages);
    if (outcome) turn.draft = outcome;
    turn.route = { profile: route.profile, rule: route.rule, intents: route.intents };
    const facts = { language, turn: turn.index };
    // The request goes out now rather than when the chart has entered `responding` and started the reply
    // actor: that comes a few tenths of a millisecond later, on the path of every turn.
    const stream = draft ?? startRequest(primary, messages, facts);
    this.set({ kind: 'llm', messages, facts, primary, ...(fallbackName ? { fallback: this.modelChoice(fallbackName) } : {}), stream });
  }

  /**
   * A preemptive draft on the caller's partial words, for a stateless model only. `now` (call time, ms) times
   * its request and first token (see `TurnSpans.llmRequestToFirstTokenMs`).
   */
  startDraft(text: string, history: readonly ChatMessage[], language: string, turnIndex: number, now?: () => number): void {
    const route = routeTurn(this.spec, { transcript: text, language, turn: turnIndex });
    // A draft on the realtime model would be a response on the call's shared session, created before the
    // caller's audio is committed (and, speech-to-speech, spoken aloud): drafts are for stateless models only.
    // Degraded to a cascade, the realtime turns go to a chat profile (modelChoice), which can draft.
    if (route.profile === REALTIME_PROFILE && !this.degraded()) return;
    const messages = [...history, { role: 'user' as const, content: text }];
    this.draft.start(text, route.profile, messages, this.modelChoice(route.profile), { language, turn: turnIndex }, now);
  }

  cancelDraft(): void {
    this.draft.cancel();
  }

  /** Drops the queued plan and any draft (the call ended). */
  clear(): void {
    this.set(undefined);
    this.draft.cancel();
  }

  /** The routed model's first-token timeout, for the `firstTokenTimeoutMs` delay. */
  firstTokenTimeoutMs(turn: TurnRecord | undefined): number {
    const profile = turn?.route?.profile;
    return (profile ? this.spec.models[profile]?.firstTokenTimeoutMs : undefined) ?? 1500;
  }

  routedModelHasFallback(turn: TurnRecord | undefined): boolean {
    const profile = turn?.route?.profile;
    return profile !== undefined && this.spec.models[profile]?.fallback !== undefined;
  }

  private set(plan: ReplyPlan | undefined): void {
    if (this.plan?.kind === 'llm' && this.plan.stream !== (plan?.kind === 'llm' ? plan.stream : undefined)) this.plan.stream?.abort();
    this.plan = plan;
  }

  private modelChoice(requested: string): ModelChoice {
    const degradeTo = this.spec.inference.realtime?.degradeTo;
    const profile = this.degraded() && requested === REALTIME_PROFILE && degradeTo ? degradeTo : requested;
    const spec = this.spec.models[profile];
    return {
      profile,
      llm: this.providers.llm(profile),
      model: spec?.model ?? this.spec.inference.realtime?.model ?? profile,
      temperature: spec?.temperature ?? 0.7,
      maxOutputTokens: spec?.maxOutputTokens ?? 400,
    };
  }

  private localized(text: LocalizedText | undefined, language: string): string | undefined {
    return localize(text, language, this.spec.languages.default);
  }
}
