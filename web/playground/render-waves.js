/*
 * Live waveforms of both sides on one canvas, last 20 seconds: the agent's voice as this browser played it
 * (top) and the microphone as sent (bottom), one peak per 20 ms frame, with the stretches the agent's VAD
 * heard caller speech (typed lines included) shaded under the caller's wave. Time is call time: the caller's
 * frames are the call's audio clock, so frame n after `call.started` arrived is its `atMs` + n x 20 ms, and
 * the server's barge-in onsets, backchannels and cuts (from `callView`) land where they happened.
 */

const WINDOW_MS = 20_000;
const FRAME_MS = 20;
const CAPACITY = WINDOW_MS / FRAME_MS;
const COLORS = { agent: '#3b6fd8', caller: '#1f9d6b', vad: 'rgba(31, 157, 107, 0.16)', grid: '#e4e7ee', text: '#5b6475', barge: '#d64545', bargeFill: 'rgba(214, 69, 69, 0.12)', noise: '#e08a1e', noiseFill: 'rgba(224, 138, 30, 0.12)', backchannel: '#b57edc', cut: '#d64545' };

/** The waveform canvas: feed it frames, give it the view, it redraws on the next animation frame. */
export function createWavesPane(canvas, summary) {
  const mic = new Float32Array(CAPACITY);
  const out = new Float32Array(CAPACITY);
  let frames = 0; // frames recorded since the call started (the ring's write position)
  let originMs = 0; // call time of frame 0: the `call.started` event's atMs
  let view;
  let speech = [];
  let dirty = true;
  const callMs = () => originMs + frames * FRAME_MS;

  function draw() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(300, Math.floor(canvas.clientWidth || canvas.width));
    const height = Math.max(120, Math.floor(canvas.clientHeight || canvas.height));
    if (canvas.width !== width * ratio || canvas.height !== height * ratio) {
      canvas.width = width * ratio;
      canvas.height = height * ratio;
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const nowMs = callMs();
    const startMs = Math.max(0, nowMs - WINDOW_MS);
    const x = (ms) => ((ms - startMs) / WINDOW_MS) * width;
    const lane = height / 2;
    drawGrid(g, width, height, startMs, x);
    drawLane(g, out, 0, lane, COLORS.agent, 'Agent', x, startMs);
    drawSpeech(g, speech, x, startMs, nowMs, lane);
    drawLane(g, mic, lane, lane, COLORS.caller, 'Caller', x, startMs);
    const counts = view ? drawMarkers(g, view, x, startMs, nowMs, height, lane) : { bargeIns: 0, backchannels: 0, cuts: 0 };
    canvas.dataset.bargeIns = String(counts.bargeIns);
    canvas.dataset.backchannels = String(counts.backchannels);
    canvas.dataset.cuts = String(counts.cuts);
    summary.textContent = [plural(counts.bargeIns, 'barge-in'), plural(counts.backchannels, 'backchannel'), plural(counts.cuts, 'cut')].filter(Boolean).join(' · ');
  }

  function drawLane(g, peaks, top, heightOf, color, label, x, startMs) {
    const middle = top + heightOf / 2;
    const first = Math.max(0, frames - CAPACITY);
    g.fillStyle = color;
    for (let n = first; n < frames; n++) {
      const atMs = originMs + n * FRAME_MS;
      if (atMs < startMs) continue;
      // Peaks on a square-root scale: quiet speech stays visible next to loud.
      const half = Math.max(0.5, Math.sqrt(peaks[n % CAPACITY]) * (heightOf / 2 - 6));
      const left = x(atMs);
      g.fillRect(left, middle - half, Math.max(1, x(atMs + FRAME_MS) - left - 0.5), half * 2);
    }
    g.fillStyle = COLORS.text;
    g.font = '11px system-ui, sans-serif';
    g.fillText(label, 6, top + 13);
  }

  return {
    /** The call started at call time `atMs` (its `call.started` event): frames count from here. */
    start(atMs) {
      originMs = atMs;
      frames = 0;
    },
    /** Call time now, ms, on the call's audio clock (the frames sent since it started). */
    nowMs: callMs,
    /** One 20 ms frame of both sides (peaks 0-1), from the audio thread, once the call has started. */
    frame(micPeak, outPeak) {
      mic[frames % CAPACITY] = micPeak;
      out[frames % CAPACITY] = outPeak;
      frames++;
      dirty = true;
    },
    /** `spans`: caller speech as the agent's VAD heard it, `{ startMs, endMs? }` in call time (a new array when it changes). */
    render(next, spans) {
      if (next !== view || spans !== speech) dirty = true;
      view = next;
      speech = spans;
      if (!dirty) return;
      dirty = false;
      draw();
    },
  };
}

function drawSpeech(g, spans, x, startMs, nowMs, lane) {
  g.fillStyle = COLORS.vad;
  for (const span of spans) {
    const endMs = span.endMs ?? nowMs;
    if (endMs < startMs) continue;
    g.fillRect(x(Math.max(startMs, span.startMs)), lane, Math.max(2, x(endMs) - x(Math.max(startMs, span.startMs))), lane);
  }
}

function drawGrid(g, width, height, startMs, x) {
  g.strokeStyle = COLORS.grid;
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(0, height / 2);
  g.lineTo(width, height / 2);
  g.stroke();
  g.fillStyle = COLORS.text;
  g.font = '10px system-ui, sans-serif';
  for (let s = Math.ceil(startMs / 5000) * 5; s * 1000 <= startMs + WINDOW_MS; s += 5) {
    const left = x(s * 1000);
    g.fillRect(left, height - 4, 1, 4);
    g.fillText(`${s}s`, left + 2, height - 2);
  }
}

/** Barge-ins (span from onset to its decision), backchannels and cuts, from the view. */
function drawMarkers(g, view, x, startMs, nowMs, height, lane) {
  const counts = { bargeIns: 0, backchannels: 0, cuts: 0 };
  g.font = '11px system-ui, sans-serif';
  for (const b of view.bargeIns) {
    const isBackchannel = b.kind === 'backchannel';
    if (isBackchannel) counts.backchannels++;
    else counts.bargeIns++;
    const endMs = b.interruptedAtMs ?? b.resumedAtMs ?? (b.kind === 'pending' ? nowMs : b.onsetMs + 300);
    if (endMs < startMs) continue;
    const interrupt = b.kind === 'interrupt';
    const stroke = isBackchannel ? COLORS.backchannel : interrupt || b.kind === 'pending' ? COLORS.barge : COLORS.noise;
    g.fillStyle = interrupt || b.kind === 'pending' ? COLORS.bargeFill : COLORS.noiseFill;
    g.fillRect(x(b.onsetMs), 0, Math.max(2, x(endMs) - x(b.onsetMs)), height);
    g.fillStyle = stroke;
    g.fillRect(x(b.onsetMs) - 1, 0, 2, height);
    const label = isBackchannel ? 'backchannel' : interrupt ? 'barge-in: interrupted' : b.kind === 'pending' ? `barge-in: ${b.decision}` : 'barge-in: resumed (noise)';
    g.fillText(label, x(b.onsetMs) + 4, lane - 4);
  }
  for (const line of view.conversation.settled.concat(view.conversation.live)) {
    if (line.role === 'caller' && line.discardedAs === 'backchannel') {
      counts.backchannels++;
      if (line.atMs < startMs) continue;
      diamond(g, x(line.atMs), lane + 12, COLORS.backchannel);
      g.fillStyle = COLORS.backchannel;
      g.fillText(`"${line.text}"`, x(line.atMs) + 8, lane + 16);
    } else if (line.role === 'agent' && line.cut && line.cut.by === 'caller') {
      counts.cuts++;
      if (line.cut.atMs < startMs) continue;
      g.fillStyle = COLORS.cut;
      g.fillText('✂', x(line.cut.atMs) - 4, 12);
    }
  }
  return counts;
}

function diamond(g, cx, cy, color) {
  g.fillStyle = color;
  g.beginPath();
  g.moveTo(cx, cy - 5);
  g.lineTo(cx + 5, cy);
  g.lineTo(cx, cy + 5);
  g.lineTo(cx - 5, cy);
  g.closePath();
  g.fill();
}

function plural(n, word) {
  return n === 0 ? '' : `${n} ${word}${n === 1 ? '' : 's'}`;
}
