import { createStats, startCall } from './call-client.js';
import { h } from './dom.js';
import { callView, conversationLines, initialCallView } from './observe.js';
import { createConversationPane } from './render-conversation.js';
import { createActivityPane, createBargeInPane, createCallInfoPane } from './render-status.js';
import { createWaterfallPane } from './render-waterfall.js';
import { createWavesPane } from './render-waves.js';

/*
 * The playground page: one call to the agent named by the page, its events folded by runtime/observe's
 * `callView` (the very reducer the terminal UI runs, served as /assets/observe.js), and the panes redrawn from
 * that view at most once per animation frame. `window.playground` exposes the state for the curious (and for
 * the browser test).
 */

const $ = (id) => document.getElementById(id);
const page = document.body.dataset;
const token = new URLSearchParams(location.search).get('token') ?? undefined;
/** Level samples kept by the view: 20 s at one per 100 ms. */
const LEVEL_HISTORY = 200;

const state = {
  agent: page.agent,
  connection: 'idle',
  muted: false,
  view: initialCallView({ levelHistory: LEVEL_HISTORY }),
  record: undefined,
  stats: createStats(),
  messages: [],
  client: undefined,
  /** The call has started (its `call.started` arrived): frames count on the call's clock from then. */
  started: false,
  /** Caller speech as the agent's VAD heard it (typed lines too), for the waveform: `{ startMs, endMs? }`. */
  speech: [],
};
window.playground = state;

const panes = {
  activity: createActivityPane($('activity'), $('activity-label'), $('activity-since'), $('regions')),
  waves: createWavesPane($('waves'), $('markers')),
  conversation: createConversationPane($('conversation')),
  waterfall: createWaterfallPane($('waterfall')),
  bargeIns: createBargeInPane($('barge-ins')),
  callInfo: createCallInfoPane($('call-info')),
};

let frameRequested = false;
function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(render);
}

/** Call time now, ms: the call's audio clock while it runs, its end once over. */
function callTimeMs() {
  const { call } = state.view;
  return call.ended && call.endedAtMs !== undefined ? call.endedAtMs : state.started ? panes.waves.nowMs() : 0;
}

function render() {
  frameRequested = false;
  const { view } = state;
  const nowMs = callTimeMs();
  panes.activity.render(view.regions, nowMs);
  panes.waves.render(view, state.speech);
  panes.conversation.render(conversationLines(view));
  panes.waterfall.render(view.waterfall);
  panes.bargeIns.render(view.bargeIns);
  panes.callInfo.render(view, nowMs);
  renderControls();
}

const CONNECTION_LABELS = { idle: 'Not connected', connecting: 'Connecting…', live: 'Live', ended: 'Call ended', failed: 'Disconnected' };

let controlsShown = '';

function renderControls() {
  // Called every animation frame: touch the DOM only when something the controls show has changed.
  const key = [state.connection, state.connectionDetail, state.view.call.endReason, state.muted, state.record !== undefined].join('|');
  if (key === controlsShown) return;
  controlsShown = key;
  const connection = $('connection');
  connection.dataset.state = state.connection;
  connection.textContent = CONNECTION_LABELS[state.connection] + (state.connection === 'ended' && state.view.call.endReason ? `: ${state.view.call.endReason}` : state.connectionDetail && state.connection === 'failed' ? `: ${state.connectionDetail}` : '');
  const callButton = $('call-button');
  const inCall = state.connection === 'connecting' || state.connection === 'live';
  callButton.textContent = inCall ? 'Hang up' : state.connection === 'idle' ? 'Start call' : 'Call again';
  callButton.classList.toggle('danger', inCall);
  $('mute-button').textContent = state.muted ? 'Unmute mic' : 'Mute mic';
  $('mute-button').setAttribute('aria-pressed', String(state.muted));
  $('download-button').disabled = state.record === undefined;
  const typed = page.typedLines === 'true';
  $('say-input').disabled = !typed || state.connection !== 'live';
  $('say-button').disabled = !typed || state.connection !== 'live';
}

function note(text, kind = 'info') {
  state.messages.push({ text, kind });
  const list = $('messages');
  list.append(h('li', { class: kind }, text));
  while (list.children.length > 6) list.firstElementChild.remove();
}

const hooks = {
  onEvent(event) {
    state.view = callView(state.view, event);
    if (event.type === 'call.started') {
      state.started = true;
      panes.waves.start(event.atMs);
    } else if (event.type === 'caller.speech') trackSpeech(event);
    else if (event.type === 'call.ended' && event.record) state.record = event.record;
    schedule();
  },
  onTick({ micPeak, outPeak }) {
    if (state.started && state.connection === 'live') panes.waves.frame(micPeak, outPeak);
    schedule();
  },
  onConnection(connection, detail) {
    state.connection = connection;
    state.connectionDetail = detail;
    if (connection === 'failed') note(`Connection: ${detail}`, 'error');
    schedule();
  },
  onServerError(message) {
    note(`Server: ${message}`, 'error');
  },
  onEnded(record) {
    state.record = record;
    schedule();
  },
  onMicrophone(status) {
    $('mic-status').textContent = `Microphone: ${status}`;
    state.microphone = status;
  },
};

/** The VAD's caller speech as spans (the view keeps only whether the caller speaks now). */
function trackSpeech(event) {
  const last = state.speech.at(-1);
  if (event.speaking && (!last || last.endMs !== undefined)) state.speech = [...state.speech.slice(-50), { startMs: event.atMs }];
  else if (!event.speaking && last && last.endMs === undefined) state.speech = [...state.speech.slice(0, -1), { startMs: last.startMs, endMs: event.atMs }];
}

async function toggleCall() {
  if (state.connection === 'connecting' || state.connection === 'live') {
    state.client?.hangup();
    return;
  }
  if (state.connection !== 'idle') {
    // A new call: a fresh view and fresh panes (the page is the simplest reset).
    location.reload();
    return;
  }
  try {
    state.client = await startCall({ agent: state.agent, rate: Number(page.rate) || 16000, token, muted: state.muted, hooks, stats: state.stats });
  } catch (error) {
    state.connection = 'failed';
    state.connectionDetail = error?.message ?? String(error);
    note(`Could not start the call: ${state.connectionDetail}`, 'error');
  }
  schedule();
}

$('call-button').addEventListener('click', () => void toggleCall());
$('mute-button').addEventListener('click', () => {
  state.muted = !state.muted;
  state.client?.setMuted(state.muted);
  schedule();
});
$('download-button').addEventListener('click', () => {
  if (!state.record) return;
  const blob = new Blob([JSON.stringify(state.record, null, 2) + '\n'], { type: 'application/json' });
  const link = h('a', { href: URL.createObjectURL(blob), download: `call-${state.record.callId ?? 'record'}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
});
$('say-form').addEventListener('submit', (submit) => {
  submit.preventDefault();
  const input = $('say-input');
  const text = input.value.trim();
  if (!text || !state.client?.open) return;
  state.client.say(text);
  input.value = '';
});
window.addEventListener('resize', schedule);
schedule();
