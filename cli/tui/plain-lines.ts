/*
 * `--plain`: the call as one line per event, no colour or cursor movement, for CI logs and pipes. The same
 * information as the TUI's panes: states, caller transcripts with confidences, what the agent said and where it
 * was cut, barge-ins, per-turn latencies with p50/p95, levels. Streaming details are folded so a log stays
 * readable: an agent's text deltas are printed as the utterance starts to play and once it is over, and levels
 * (ten a second) once a second.
 */
import { conversationLines, SPAN_NAMES, type AgentLine, type CallEvent, type CallView, type TurnRow } from '../../runtime/index.js';
import { CUT_MARK, dbText, meterText, msText, SLOW_TURN_MS, SPAN_LABELS } from './format.js';

/** Levels are printed at most this often, ms of call time. */
const LEVELS_EVERY_MS = 1000;

/** Turns one call's events into plain lines (stateful: it remembers what it already printed). */
export interface PlainFormatter {
  /** The lines for `event`, given the view after it. */
  format(event: CallEvent, view: CallView): string[];
}

/** Creates a {@link PlainFormatter} for one call. */
export function createPlainFormatter(): PlainFormatter {
  let levelsAtMs = -Infinity;
  const finished = new Set<number>();
  const lines = (event: CallEvent, view: CallView): string[] => {
    switch (event.type) {
      case 'call.started':
        return [`call started: agent ${event.agent}, ${event.mode}, language ${event.language}, ${event.sampleRate} Hz, call ${event.callId}`];
      case 'transport.started':
        return [];
      case 'state': {
        const paths = Object.entries(view.regions.paths).map(([region, leaf]) => `${region}=${leaf}`);
        return [`state ${view.regions.agentActivity.toUpperCase()}  ${paths.join('  ')}`, ...agentLinesDone(view, finished)];
      }
      case 'caller.speech':
        return [`caller ${event.speaking ? 'starts' : 'stops'} speaking`];
      case 'transcript': {
        if (event.late) return [`caller late words (after the turn) "${event.text}"`];
        const confidences = event.words.map((w) => w.confidence.toFixed(2)).join(' ');
        return [`caller ${event.final ? 'final  ' : 'partial'} "${event.text}"${confidences ? ` conf ${confidences}` : ''}`];
      }
      case 'caller.discarded':
        return [`caller speech discarded (${event.reason})${event.text ? ` "${event.text}"` : ''}`];
      case 'turn.committed':
        return [`turn #${event.index} committed "${event.userText}" (${event.language}${event.endpointCue ? `, cue ${event.endpointCue}` : ''})`];
      case 'agent.utterance':
        return [`agent #${event.utteranceId} ${event.purpose}${event.turnIndex !== undefined ? ` to turn #${event.turnIndex}` : ''} starts`];
      case 'agent.text':
      case 'agent.heard':
        return [];
      case 'agent.audio': {
        const line = agentLineOf(view, event.utteranceId);
        return event.started ? [`agent #${event.utteranceId} speaking "${line?.text ?? ''}"`] : [];
      }
      case 'agent.cut': {
        finished.add(event.utteranceId);
        const unheard = event.intendedText.slice(event.heardText.length).trim();
        return [`agent #${event.utteranceId} CUT by ${event.by} after ${Math.round(event.heardMs)} ms: "${event.heardText}" ${CUT_MARK} unheard: "${unheard}"`];
      }
      case 'levels':
        if (event.atMs - levelsAtMs < LEVELS_EVERY_MS) return [];
        levelsAtMs = event.atMs;
        return [`levels in ${meterText(event.inDb, 10)} ${dbText(event.inDb)}  out ${meterText(event.outDb, 10)} ${dbText(event.outDb)}`];
      case 'barge-in': {
        const r = event.record;
        const reaction = r.reactionMs !== undefined ? ` reaction ${Math.round(r.reactionMs)} ms` : '';
        return [`barge-in ${event.decision} (onset ${(r.onsetMs / 1000).toFixed(2)}s, ${r.kind}${reaction}${r.reason ? `, ${r.reason}` : ''})`];
      }
      case 'turn': {
        const row = view.waterfall.turns.find((t) => t.index === event.record.index);
        return row ? [latencyLine(row), statsLine(view)] : [];
      }
      case 'language':
        return [`language ${event.from} -> ${event.to}`];
      case 'dtmf':
        return [`caller pressed ${event.digit}`];
      case 'provider.metric':
        return [`metric ${event.provider} ${event.kind} ${Math.round(event.value)}`];
      case 'failure':
        return [`FAILURE ${event.failure.source}: ${event.failure.message}`];
      case 'call.ended': {
        const record = event.record;
        return [...agentLinesDone(view, finished), `call ended (${record?.endReason ?? 'over'}) after ${((record?.endedAtMs ?? event.atMs) / 1000).toFixed(1)} s, ${record?.turns.length ?? 0} turns, ${view.bargeIns.length} barge-ins`];
      }
      default:
        return [];
    }
  };
  return {
    format: (event, view) => lines(event, view).map((text) => `${(event.atMs / 1000).toFixed(3).padStart(8)}s ${text}`),
  };
}

function agentLineOf(view: CallView, utteranceId: number): AgentLine | undefined {
  const all = conversationLines(view);
  for (let i = all.length - 1; i >= 0; i--) {
    const line = all[i]!;
    if (line.role === 'agent' && line.utteranceId === utteranceId) return line;
  }
  return undefined;
}

/** The agent lines played to their end (or never heard) since last asked, once each. */
function agentLinesDone(view: CallView, finished: Set<number>): string[] {
  const out: string[] = [];
  for (const line of view.conversation.live.concat(view.conversation.settled.slice(-3))) {
    if (line.role !== 'agent' || finished.has(line.utteranceId)) continue;
    if (line.status === 'done') out.push(`agent #${line.utteranceId} said "${line.text}"`);
    else if (line.status === 'unspoken') out.push(`agent #${line.utteranceId} never heard "${line.text}"`);
    else continue;
    finished.add(line.utteranceId);
  }
  return out;
}

function latencyLine(row: TurnRow): string {
  const total = row.spans.responseMs;
  const spans = SPAN_NAMES.map((name) => `${SPAN_LABELS[name] ?? name} ${msText(row.spans[name])}`).join(' · ');
  const slow = total !== undefined && total > SLOW_TURN_MS ? '  SLOW (over 1 s)' : '';
  return `latency turn #${row.index}${row.outcome ? ` (${row.outcome})` : ''}: ${spans} ms${slow}`;
}

function statsLine(view: CallView): string {
  const { stats } = view.waterfall;
  return `latency so far p50/p95: ${SPAN_NAMES.map((name) => `${SPAN_LABELS[name] ?? name} ${msText(stats[name].p50Ms)}/${msText(stats[name].p95Ms)}`).join(' · ')} ms`;
}
