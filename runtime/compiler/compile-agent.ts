import { backchannelsByLanguage, type AgentSpec } from '../dsl/index.js';
import type { CompiledAgent, JsonValue } from './machine-config.js';
import { agentRegion, callerRegion, languageRegion, ROOT_ID, turnRegion } from './regions.js';

/** How long the turn waits for the recogniser's final transcript after the endpoint before using the last partial. */
export const STT_FINAL_TIMEOUT_MS = 1500;

/**
 * How long `closing` waits for the far end to report the last reply played, beyond the audio it still had
 * buffered when the reply was sent, before it hangs up anyway (a transport that lost the report).
 */
export const PLAYED_REPORT_MARGIN_MS = 1000;

/** How long `speaking.starved` waits for more audio of a reply whose stream stalled before giving it up. */
export const SPEECH_STALL_MS = 5000;

/**
 * How long a reply may go without any audio before the watchdog gives it up: twice the slowest first-token
 * timeout (primary, then hedged fallback) plus time for the voice to start. Long enough never to fire on a
 * healthy but slow reply; short enough that a stuck one does not leave the caller in silence.
 */
export function replyWatchdogMs(spec: AgentSpec): number {
  const slowest = Math.max(1500, ...Object.values(spec.models).map((m) => m.firstTokenTimeoutMs));
  return 2 * slowest + 4000;
}

/**
 * Compiles an agent into its call statechart: a parallel XState v5 config that is pure data (DESIGN.md
 * section 4), plus the numbers behind its named delays. Deterministic: the same spec gives the same output,
 * so `voiceagent compile` output can be diffed in review.
 */
export function compileAgent(spec: AgentSpec, options: { sourceHash?: string } = {}): CompiledAgent {
  const { bargeIn, turnTaking } = spec;
  const models: Record<string, JsonValue> = {};
  for (const [name, profile] of Object.entries(spec.models)) {
    models[name] = { firstTokenTimeoutMs: profile.firstTokenTimeoutMs, ...(profile.fallback ? { fallback: profile.fallback } : {}) };
  }
  const milestones = new Set<number>();
  if (bargeIn.enabled) {
    milestones.add(bargeIn.pauseAfterMs);
    milestones.add(bargeIn.confirm.minSpeechMs);
  }
  return {
    format: 'voiceagent/compiled-agent@1',
    agent: { name: spec.name, mode: spec.inference.mode, ...(options.sourceHash ? { sourceHash: options.sourceHash } : {}) },
    machine: {
      id: ROOT_ID,
      description: `Call statechart of agent "${spec.name}" (${spec.inference.mode}).`,
      initial: 'active',
      states: {
        active: {
          type: 'parallel',
          on: { 'CALL.HANGUP': { target: `#${ROOT_ID}.ended` } },
          states: {
            caller: callerRegion(),
            agent: agentRegion(spec),
            language: languageRegion(spec),
            turn: turnRegion(spec),
          },
        },
        ended: { type: 'final', entry: 'finishCall', description: 'The call is over; the call record is written.' },
      },
    },
    delays: {
      falseInterruptionResumeMs: bargeIn.falseInterruption.resumeAfterMs,
      sttFinalTimeoutMs: STT_FINAL_TIMEOUT_MS,
      endpointMaxSilenceMs: turnTaking.endpointing.maxSilenceMs,
      replyWatchdogMs: replyWatchdogMs(spec),
    },
    dynamicDelays: {
      endpointDelayMs: { ...turnTaking.endpointing },
      firstTokenTimeoutMs: { models, realtimeDefaultMs: 1500 },
      callerSilenceMs: { ...turnTaking.callerSilence },
      playedTimeoutMs: { afterBufferedMs: PLAYED_REPORT_MARGIN_MS },
      speechStallMs: { ms: SPEECH_STALL_MS },
    },
    speechMilestonesMs: [...milestones].sort((a, b) => a - b),
    backchannels: backchannelsByLanguage(spec),
  };
}
