import type { ServedAgent } from '../agent-catalog.js';

/*
 * The playground's two HTML pages, rendered on the server: the list of agents (`/`) and one agent's
 * playground (`/play/:agent`). Only the skeleton is here; `web/playground/playground.js` fills it from the
 * call's events. Everything they load comes from this server's `/assets/`.
 */

/** What a page needs to know about the server and the request. */
export interface PageContext {
  /** The request's `?token=`, carried into links and the WebSocket URL (browsers cannot set headers). */
  readonly token?: string;
  /** The server runs its agents offline: typed caller lines (`say`) work. */
  readonly offline: boolean;
}

/** Audio rate the playground asks for: the offline voices' and recognisers' native rate, and cheap on a LAN. */
export const PLAYGROUND_SAMPLE_RATE = 16000;

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function withToken(path: string, token: string | undefined): string {
  return token ? `${path}?token=${encodeURIComponent(token)}` : path;
}

function layout(title: string, body: string, bodyAttributes = ''): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/playground.css">
</head>
<body${bodyAttributes}>
${body}
</body>
</html>
`;
}

function agentTags(served: ServedAgent, context: PageContext): string {
  const { spec } = served.agent;
  const languages = spec.languages.supported.length > 0 ? spec.languages.supported : [spec.languages.default];
  return [spec.inference.mode, languages.join(', '), context.offline ? 'offline' : 'live providers'].map((tag) => `<span class="tag">${escapeHtml(tag)}</span>`).join('');
}

/** `GET /`: the agents this server serves, each linking to its playground. */
export function renderIndexPage(agents: readonly ServedAgent[], context: PageContext): string {
  const items = agents
    .map(
      (served) => `<li><a class="agent-card" href="${escapeHtml(withToken(`/play/${encodeURIComponent(served.name)}`, context.token))}">
  <span class="agent-name">${escapeHtml(served.name)}</span>
  <span class="agent-description">${escapeHtml(served.agent.spec.description ?? '')}</span>
  <span class="tags">${agentTags(served, context)}</span>
</a></li>`,
    )
    .join('\n');
  const list = agents.length > 0 ? `<ul class="agents" id="agents">\n${items}\n</ul>` : '<p class="empty">This server serves no agent.</p>';
  return layout(
    'voiceagent playground',
    `<header class="topbar"><span class="brand">voiceagent</span><span class="crumb">playground</span></header>
<main class="index">
<h1>Talk to an agent</h1>
<p class="lead">Pick an agent to call it from this browser: your microphone and speakers, or typed caller lines${context.offline ? '' : ' (offline agents only)'}.
You see what the agent hears and does as it happens: its state, both voices, barge-ins, the conversation and the latency of each turn.</p>
${list}
<p class="footnote">Apps connect to the same agents over <code>WS /calls/&lt;agent&gt;?rate=16000</code> (see docs/websocket-protocol.md).</p>
</main>`,
  );
}

/** `GET /play/:agent`: the playground of one agent. */
export function renderPlayPage(served: ServedAgent, context: PageContext): string {
  const name = escapeHtml(served.name);
  const attributes = ` data-agent="${name}" data-rate="${PLAYGROUND_SAMPLE_RATE}" data-typed-lines="${context.offline}"`;
  const typedHint = context.offline
    ? 'Typed lines are spoken into the call with a synthetic caller voice, as if said into the microphone: type while the agent talks to interrupt it.'
    : 'This agent listens with a real speech recogniser: speak into the microphone (typed lines need an offline server, <code>serve --offline</code>).';
  return layout(
    `${served.name} · voiceagent playground`,
    `<header class="topbar">
  <a class="brand" href="${escapeHtml(withToken('/', context.token))}">voiceagent</a><span class="crumb">playground</span>
  <span class="agent-title">${name}</span><span class="agent-description">${escapeHtml(served.agent.spec.description ?? '')}</span>
  <span class="tags">${agentTags(served, context)}</span>
  <span id="connection" class="connection" data-state="idle">Not connected</span>
</header>
<main class="play">
  <section class="panel stage" aria-label="Call">
    <div class="controls">
      <button id="call-button" class="primary" type="button">Start call</button>
      <button id="mute-button" type="button" aria-pressed="false" title="Silence is sent while muted, like a phone line">Mute mic</button>
      <button id="download-button" type="button" disabled title="The call record (JSON), once the call has ended">Download record</button>
      <span id="mic-status" class="mic-status">Microphone: off</span>
    </div>
    <div class="status-row">
      <div id="activity" class="activity" data-activity="idle" aria-live="polite"><span class="dot"></span><span id="activity-label">idle</span><span id="activity-since" class="since"></span></div>
      <dl id="regions" class="regions"></dl>
    </div>
    <figure class="waves">
      <canvas id="waves" width="900" height="180" aria-label="Waveforms of the agent (top) and the caller (bottom), last 20 seconds"></canvas>
      <figcaption class="legend">
        <span class="key agent">Agent (as played here)</span><span class="key caller">Caller (your microphone)</span><span class="key vad" title="caller speech as the agent's voice activity detector heard it, typed lines included">Speech the agent heard</span>
        <span class="key barge">Barge-in</span><span class="key backchannel">Backchannel</span>
        <span id="markers" class="markers"></span>
      </figcaption>
    </figure>
  </section>
  <section class="panel conversation-panel" aria-label="Conversation">
    <h2>Conversation <small>heard words in full, the unheard rest of a cut reply <s>struck out</s></small></h2>
    <ol id="conversation" class="conversation"><li class="placeholder">Start the call: the agent greets you.</li></ol>
    <form id="say-form" class="say"${context.offline ? '' : ' data-disabled="true"'}>
      <input id="say-input" type="text" maxlength="500" autocomplete="off" placeholder="Type what the caller says, then Enter" aria-label="Caller line"${context.offline ? '' : ' disabled'}>
      <button id="say-button" type="submit"${context.offline ? '' : ' disabled'}>Say</button>
    </form>
    <p class="hint">${typedHint}</p>
  </section>
  <aside class="side">
    <section class="panel" aria-label="Latency">
      <h2>Latency per turn <small>from the end of caller speech, ms</small></h2>
      <div id="waterfall" class="waterfall"><p class="placeholder">No turn yet.</p></div>
    </section>
    <section class="panel" aria-label="Barge-ins">
      <h2>Barge-ins</h2>
      <ol id="barge-ins" class="barge-ins"><li class="placeholder">None yet. Talk over the agent to interrupt it.</li></ol>
    </section>
    <section class="panel" aria-label="Call details">
      <h2>Call</h2>
      <dl id="call-info" class="call-info"></dl>
      <ul id="messages" class="messages"></ul>
    </section>
  </aside>
</main>
<script type="module" src="/assets/playground.js"></script>`,
    attributes,
  );
}

/** A refusal a person reads in a browser (a missing or wrong token). */
export function renderRefusalPage(status: number, message: string): string {
  return layout('voiceagent playground', `<main class="index"><h1>${status === 401 ? 'A token is needed' : 'Not available'}</h1><p class="lead">${escapeHtml(message.trim())}</p>
<p>Open this page with <code>?token=&lt;VOICEAGENT_TOKEN&gt;</code> at the end of its address.</p></main>`);
}
