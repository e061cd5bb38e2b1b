import type { CallEvent, CallEventOf } from '../call/events.js';
import { addDtmf, addLevels, addProviderMetric, DEFAULT_LEVEL_HISTORY, emptyLevels, signalsFromRecord, upsertBargeIn } from './call-signals.js';
import type { AgentActivity, CallInfoView, CallView, RegionPaths, RegionsView } from './call-view-types.js';
import { applyAgentAudio, applyAgentCut, applyAgentHeard, applyAgentText, beginUtterance, endUtterance } from './agent-lines.js';
import { applyTranscript, commitTurn, discardCallerSpeech } from './caller-lines.js';
import { finishTalk } from './conversation-view.js';
import type { Talk } from './talk.js';
import { emptyTalk } from './talk.js';
import { commitTurnRow, emptyWaterfall, reportTurn } from './waterfall.js';

/*
 * `callView(state, event)`: one call's event stream folded into what a screen shows. Pure (no clock, no
 * I/O), O(1) per event apart from short copies, never changes its input, and ignores event kinds it does
 * not know, so the TUI, the playground, `monitor` and the metrics can all share it.
 */

/** Options of {@link initialCallView}. */
export interface CallViewOptions {
  /** Level samples kept for meters and waveforms. Default 100. */
  readonly levelHistory?: number;
}

/** The view of a call before any event. */
export function initialCallView(options: CallViewOptions = {}): CallView {
  const { conversation, cursor } = emptyTalk();
  return {
    call: { atMs: 0, lastSeq: -1, missedEvents: 0, gaps: 0, droppedEvents: 0, ended: false },
    regions: { paths: {}, agentActivity: 'idle', agentActivitySinceMs: 0, callerSpeaking: false },
    conversation,
    waterfall: emptyWaterfall(),
    bargeIns: [],
    levels: emptyLevels(options.levelHistory ?? DEFAULT_LEVEL_HISTORY),
    dtmf: { digits: '' },
    failures: [],
    providerMetrics: {},
    cursor,
  };
}

/**
 * The view after one more event. Events out of order or repeated (`seq` not above the last one) and events
 * of another call are counted in `call.droppedEvents` and change nothing else; a hole in `seq` is counted in
 * `call.gaps`/`call.missedEvents`. An unknown kind only advances `seq`.
 */
export function callView(state: CallView, event: CallEvent): CallView {
  if (!event || typeof event !== 'object' || typeof event.seq !== 'number' || typeof event.type !== 'string') return state;
  const { call } = state;
  const foreign = call.callId !== undefined && event.callId !== call.callId;
  if (foreign || (call.lastSeq >= 0 && event.seq <= call.lastSeq)) return { ...state, call: { ...call, droppedEvents: call.droppedEvents + 1 } };
  return applyBody({ ...state, call: advanceEnvelope(call, event) }, event);
}

/** Folds a whole stream (a recorded JSONL file, a test's events) into its view. */
export function foldEvents(events: Iterable<CallEvent>, options: CallViewOptions = {}): CallView {
  let view = initialCallView(options);
  for (const event of events) view = callView(view, event);
  return view;
}

function advanceEnvelope(call: CallInfoView, event: CallEvent): CallInfoView {
  const hole = call.lastSeq >= 0 ? event.seq - call.lastSeq - 1 : 0;
  const first = call.callId === undefined;
  return {
    ...call,
    ...(first ? { callId: event.callId, agent: event.agent, firstSeq: event.seq, startedAt: startOf(event) } : {}),
    ...(first && event.version !== undefined ? { version: event.version } : {}),
    atMs: Math.max(call.atMs, event.atMs),
    lastSeq: event.seq,
    missedEvents: call.missedEvents + hole,
    gaps: call.gaps + (hole > 0 ? 1 : 0),
  };
}

/** Wall-clock start of the call: the event's wall time minus its call time (exact for `call.started`). */
function startOf(event: CallEvent): string | undefined {
  const wallMs = Date.parse(event.wallTime);
  if (!Number.isFinite(wallMs)) return undefined;
  return event.atMs === 0 ? event.wallTime : new Date(wallMs - event.atMs).toISOString();
}

function applyBody(view: CallView, event: CallEvent): CallView {
  switch (event.type) {
    case 'call.started':
      return { ...view, call: { ...view.call, mode: event.mode, language: event.language, sampleRate: event.sampleRate, startedAt: event.wallTime } };
    case 'transport.started':
      return { ...view, call: { ...view.call, transport: event.info } };
    case 'state':
      return applyStates(view, event);
    case 'caller.speech':
      return withRegions(view, { ...view.regions, callerSpeaking: event.speaking }, event.atMs);
    case 'transcript':
      return withTalk(view, applyTranscript(view, event));
    case 'caller.discarded':
      return withTalk(view, discardCallerSpeech(view, event));
    case 'agent.utterance':
      return withTalk(view, beginUtterance(view, event, view.call.language));
    case 'agent.text':
      return withTalk(view, applyAgentText(view, event, view.call.language));
    case 'agent.audio':
      return withTalk(view, applyAgentAudio(view, event, view.call.language));
    case 'agent.heard':
      return withTalk(view, applyAgentHeard(view, event, view.call.language));
    case 'agent.cut':
      return withTalk(view, applyAgentCut(view, event, view.call.language));
    case 'levels':
      return { ...view, levels: addLevels(view.levels, event) };
    case 'barge-in':
      return { ...view, bargeIns: upsertBargeIn(view.bargeIns, event.record, event.decision, event.atMs) };
    case 'turn.committed':
      return { ...withTalk(view, commitTurn(view, event)), waterfall: commitTurnRow(view.waterfall, event) };
    case 'turn':
      return { ...view, waterfall: reportTurn(view.waterfall, event.record, event.atMs) };
    case 'language':
      return { ...view, call: { ...view.call, language: event.to } };
    case 'dtmf':
      return { ...view, dtmf: addDtmf(view.dtmf, event) };
    case 'provider.metric':
      return { ...view, providerMetrics: addProviderMetric(view.providerMetrics, event) };
    case 'failure':
      return { ...view, failures: [...view.failures, event.failure] };
    case 'call.ended':
      return applyEnded(view, event);
    default:
      // A kind this version does not know (a newer runtime): its seq counted, nothing else.
      return view;
  }
}

/** The view with the conversation's change; after `call.ended` the conversation is the record's and stays as it is. */
function withTalk(view: CallView, talk: Talk): CallView {
  if (view.call.ended) return view;
  return talk.conversation === view.conversation && talk.cursor === view.cursor ? view : { ...view, conversation: talk.conversation, cursor: talk.cursor };
}

function applyEnded(view: CallView, event: CallEventOf<'call.ended'>): CallView {
  const { record } = event;
  let waterfall = view.waterfall;
  for (const turn of record?.turns ?? []) waterfall = reportTurn(waterfall, turn, event.atMs);
  const call: CallInfoView = {
    ...view.call,
    ended: true,
    endedAtMs: record?.endedAtMs ?? event.atMs,
    ...(record?.endReason ? { endReason: record.endReason } : {}),
    ...(record ? { record } : {}),
    ...(view.call.mode === undefined && record?.agent?.mode ? { mode: record.agent.mode } : {}),
    ...(view.call.transport === undefined && record?.transport ? { transport: record.transport } : {}),
  };
  const since = view.regions.agentActivity === 'ended' ? view.regions.agentActivitySinceMs : event.atMs;
  const regions: RegionsView = { ...view.regions, callerSpeaking: false, agentActivity: 'ended', agentActivitySinceMs: since };
  return { ...view, ...finishTalk(view, record, event.atMs), ...(record ? signalsFromRecord(view, record, event.atMs) : {}), call, regions, waterfall };
}

// ---- regions ----------------------------------------------------------------------------------

/**
 * The chart's active states: the leaf of each region under `active` (`active.agent.responding.speaking` ->
 * `agent: 'responding.speaking'`), or `ended`. The agent going idle or closing the call means its current
 * utterance is over: a cut would have come first (`agent.cut`), so it was played out.
 */
function applyStates(view: CallView, event: CallEventOf<'state'>): CallView {
  const paths: Record<string, string> = {};
  let ended = false;
  for (const path of event.states) {
    if (path === 'ended') ended = true;
    if (!path.startsWith('active.')) continue;
    const dot = path.indexOf('.', 7);
    if (dot > 7) paths[path.slice(7, dot)] = path.slice(dot + 1);
  }
  const before = view.regions.paths.agent;
  const after = paths.agent;
  const finished = after !== undefined && isAgentDone(after) && (before === undefined || !isAgentDone(before));
  const next = finished ? withTalk(view, endUtterance(view)) : view;
  const language = paths.language;
  const withLanguage = language !== undefined && language !== next.call.language ? { ...next, call: { ...next.call, language } } : next;
  return withRegions(withLanguage, { ...view.regions, paths: ended ? view.regions.paths : paths }, event.atMs, ended);
}

/** The agent region's leaf says no utterance is being spoken: `idle...`, or `closing` (the last reply was played). */
function isAgentDone(agent: string): boolean {
  return agent.startsWith('idle') || agent === 'closing';
}

function withRegions(view: CallView, regions: RegionsView, atMs: number, ended = false): CallView {
  const activity = ended || view.call.ended ? 'ended' : activityOf(regions.paths, regions.callerSpeaking);
  const changed = activity !== regions.agentActivity;
  return { ...view, regions: { ...regions, agentActivity: activity, agentActivitySinceMs: changed ? atMs : regions.agentActivitySinceMs } };
}

/** The agent's activity in one word, from the regions' leaves. */
export function activityOf(paths: RegionPaths, callerSpeaking: boolean): AgentActivity {
  const agent = paths.agent;
  if (agent === undefined) return callerSpeaking ? 'listening' : 'idle';
  if (agent.startsWith('responding.paused')) return 'paused';
  // `interrupted` is passed through in the same step: the caller has the floor.
  if (agent.startsWith('responding.interrupted')) return 'listening';
  if (agent.startsWith('responding.speaking')) return 'speaking';
  if (agent === 'greeting' || agent.startsWith('responding')) return 'thinking';
  const turnBusy = paths.turn !== undefined && !paths.turn.startsWith('listening');
  const callerTalking = callerSpeaking || paths.caller === 'speaking' || agent === 'idle.callerTalking';
  return callerTalking || turnBusy ? 'listening' : 'idle';
}
