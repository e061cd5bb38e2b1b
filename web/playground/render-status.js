import { formatCallTime, formatMs, h, replaceChildren } from './dom.js';

/*
 * The small panes: what the agent is doing in one word (with the chart's regions beside it), the barge-in
 * log, and the call's details. Each redraws only when its part of the view changed.
 */

const ACTIVITY_HINTS = {
  idle: 'nobody is talking',
  listening: 'the caller has the floor',
  thinking: 'a reply is on its way',
  speaking: 'the agent is talking',
  paused: 'caller speech over the reply: playout paused while it is decided',
  ended: 'the call is over',
};
const REGION_ORDER = ['caller', 'agent', 'turn', 'language'];
const KIND_LABELS = { interrupt: 'interrupted', backchannel: 'backchannel', false: 'resumed: noise', pending: 'deciding…' };

/** Activity word and the chart's regions. */
export function createActivityPane(badge, label, since, regionsList) {
  let shown;
  return {
    render(regions, atMs) {
      since.textContent = regions.agentActivity === 'idle' && atMs === 0 ? '' : `for ${formatMs(Math.max(0, atMs - regions.agentActivitySinceMs))}`;
      if (regions === shown) return;
      shown = regions;
      badge.dataset.activity = regions.agentActivity;
      badge.title = ACTIVITY_HINTS[regions.agentActivity] ?? '';
      label.textContent = regions.agentActivity;
      const names = [...REGION_ORDER, ...Object.keys(regions.paths).filter((name) => !REGION_ORDER.includes(name))];
      replaceChildren(
        regionsList,
        ...names
          .filter((name) => regions.paths[name] !== undefined)
          .flatMap((name) => [h('dt', {}, name), h('dd', { 'data-region': name, class: name === 'caller' && regions.callerSpeaking ? 'hot' : undefined }, regions.paths[name])]),
      );
    },
  };
}

/** One row per barge-in attempt: onset, what playout did and how fast, how it was decided and why. */
export function createBargeInPane(list) {
  let shown;
  return {
    render(bargeIns) {
      if (bargeIns === shown || bargeIns.length === 0) return;
      shown = bargeIns;
      replaceChildren(
        list,
        ...bargeIns
          .slice(-12)
          .reverse()
          .map((b) =>
            h(
              'li',
              { class: `barge-in ${b.kind === 'false' ? 'noise' : b.kind}`, 'data-kind': b.kind, 'data-onset-ms': b.onsetMs },
              h('span', { class: 'at' }, formatCallTime(b.onsetMs)),
              h('span', { class: 'kind' }, KIND_LABELS[b.kind] ?? b.kind),
              h('span', { class: 'reaction' }, b.reaction ? `${b.reaction} in ${formatMs(b.reactionMs)}` : b.decision),
              b.reason ? h('span', { class: 'reason' }, b.reason) : undefined,
              b.heardText ? h('span', { class: 'heard', title: b.intendedText ?? '' }, `heard: “${b.heardText}”`) : undefined,
            ),
          ),
      );
    },
  };
}

/** Call id, mode, rate, duration, end reason, events missed, failures. */
export function createCallInfoPane(list) {
  let shownCall;
  let shownFailures;
  let shownSecond;
  return {
    /** `nowMs`: call time now (the page's clock: the view's latest `atMs` is only as fresh as the latest event). */
    render(view, nowMs) {
      if (view.call === shownCall && view.failures === shownFailures && Math.floor(nowMs / 1000) === shownSecond) return;
      shownSecond = Math.floor(nowMs / 1000);
      shownCall = view.call;
      shownFailures = view.failures;
      const { call } = view;
      const rows = [
        ['call', call.callId ? call.callId.slice(0, 8) : '–', call.callId],
        ['mode', call.mode ?? '–'],
        ['language', call.language ?? '–'],
        ['audio', call.sampleRate ? `${call.sampleRate / 1000} kHz PCM16` : '–'],
        ['time', formatCallTime(nowMs).replace(/\.\d$/, '')],
        ['events', `${call.lastSeq + 1}${call.missedEvents > 0 ? ` (${call.missedEvents} missed)` : ''}`],
        ...(call.ended ? [['ended', call.endReason ?? 'yes']] : []),
        ...(view.failures.length > 0 ? [['failures', view.failures.map((f) => `${f.source}: ${f.message}`).join('; ')]] : []),
      ];
      replaceChildren(list, ...rows.flatMap(([name, value, title]) => [h('dt', {}, name), h('dd', { title }, value)]));
    },
  };
}
