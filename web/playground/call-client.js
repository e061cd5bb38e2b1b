/*
 * One call over the native WebSocket protocol (docs/websocket-protocol.md), from the browser: the microphone
 * (echo cancellation and noise suppression on) and the speaker through one AudioWorklet at the call's rate,
 * binary PCM16 both ways, marks echoed as playback passes them, typed lines (`say`), `hangup`. The page gets
 * the call's events and a 20 ms tick of both sides' peaks; it never touches audio itself.
 */

/**
 * @typedef {object} CallClientHooks
 * @property {(event: object) => void} onEvent a call event (`{"type":"event"}`), in order
 * @property {(peaks: { micPeak: number, outPeak: number, queuedMs: number }) => void} onTick every 20 ms of audio
 * @property {(state: string, detail?: string) => void} onConnection `connecting`, `live`, `ended`, `failed`
 * @property {(message: string) => void} onServerError an `error` message: something sent was refused
 * @property {(record: object) => void} onEnded the `ended` message's call record
 * @property {(status: string) => void} onMicrophone what became of the microphone
 */

/** Counters for the curious (and the browser test): what went over the wire. */
export function createStats() {
  return { framesSent: 0, framesReceived: 0, bytesReceived: 0, marksReceived: 0, marksPlayed: 0, marksDropped: 0, clears: 0, serverErrors: 0, says: 0 };
}

/**
 * Starts a call. Must run from a user gesture (a click): browsers only start audio after one.
 * @param {{ agent: string, rate: number, token?: string, muted: boolean, hooks: CallClientHooks, stats: ReturnType<typeof createStats> }} options
 */
export async function startCall(options) {
  const { hooks, stats } = options;
  if (!window.isSecureContext) {
    // Audio worklets and the microphone exist only on secure pages: say so instead of failing on an undefined.
    throw new Error(`browsers run call audio only on secure pages (HTTPS, or localhost): open ${location.host} over HTTPS (a proxy in front of serve), or from this machine as 127.0.0.1`);
  }
  hooks.onConnection('connecting');
  const context = await openContext(options.rate);
  await context.audioWorklet.addModule('/assets/call-audio-worklet.js');
  // The input mixed down to mono by the browser (a microphone may come as two channels).
  const node = new AudioWorkletNode(context, 'voiceagent-call-audio', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1], channelCount: 1, channelCountMode: 'explicit', channelInterpretation: 'speakers' });
  node.connect(context.destination);
  node.port.postMessage({ type: 'mute', muted: options.muted });

  const microphone = await openMicrophone(context, node, hooks);
  const rate = context.sampleRate;
  const query = new URLSearchParams({ rate: String(rate), client: 'playground' });
  if (options.token) query.set('token', options.token);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/calls/${encodeURIComponent(options.agent)}?${query}`);
  socket.binaryType = 'arraybuffer';
  let ended = false;

  const send = (data) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(data);
  };
  node.port.onmessage = ({ data }) => {
    if (data.type === 'frame') {
      // Frames before the socket opens are dropped: the call has not started, its clock starts with the first one.
      if (socket.readyState === WebSocket.OPEN) {
        socket.send(data.pcm);
        stats.framesSent++;
      }
      hooks.onTick(data);
    } else if (data.type === 'played') {
      if (data.dropped) stats.marksDropped++;
      else stats.marksPlayed++;
      send(JSON.stringify({ type: 'played', mark: data.mark, ...(data.dropped ? { dropped: true } : {}) }));
    }
  };
  socket.onopen = () => hooks.onConnection('live');
  socket.onmessage = ({ data }) => {
    if (data instanceof ArrayBuffer) {
      stats.framesReceived++;
      stats.bytesReceived += data.byteLength;
      const samples = new Int16Array(data);
      node.port.postMessage({ type: 'audio', samples }, [samples.buffer]);
      return;
    }
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type === 'mark') {
      stats.marksReceived++;
      node.port.postMessage(message);
    } else if (message.type === 'clear') {
      stats.clears++;
      node.port.postMessage(message);
    } else if (message.type === 'event') hooks.onEvent(message.event);
    else if (message.type === 'error') {
      stats.serverErrors++;
      hooks.onServerError(String(message.message));
    } else if (message.type === 'ended') {
      ended = true;
      hooks.onEnded(message.record);
    }
  };
  socket.onclose = (close) => {
    for (const track of microphone?.getTracks() ?? []) track.stop();
    void context.close();
    const why = close.reason || (close.code === 1000 ? 'ended' : `closed (${close.code})`);
    hooks.onConnection(ended || close.code === 1000 ? 'ended' : 'failed', close.code === 1006 ? 'the connection was lost (is the server still running?)' : why);
  };

  return {
    say(text) {
      stats.says++;
      send(JSON.stringify({ type: 'say', text }));
    },
    hangup() {
      send(JSON.stringify({ type: 'hangup' }));
    },
    setMuted(muted) {
      node.port.postMessage({ type: 'mute', muted });
    },
    /** The socket is open: lines and keys can be sent. */
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
  };
}

/**
 * An AudioContext at the call's rate, so nothing is resampled by hand: Chrome and Safari resample the
 * microphone into it. Where a browser refuses that rate, its own rate is used when the protocol allows it.
 */
async function openContext(rate) {
  try {
    return new AudioContext({ sampleRate: rate, latencyHint: 'interactive' });
  } catch {
    const context = new AudioContext({ latencyHint: 'interactive' });
    if ([8000, 16000, 24000, 48000].includes(context.sampleRate)) return context;
    await context.close();
    throw new Error(`this browser cannot run audio at ${rate} Hz nor at a rate the protocol takes (its own is ${context.sampleRate} Hz)`);
  }
}

/**
 * The microphone into the worklet. Refused or absent, the call still runs with silence (typed lines work):
 * the hooks say why.
 */
async function openMicrophone(context, node, hooks) {
  if (!navigator.mediaDevices?.getUserMedia) {
    hooks.onMicrophone('unavailable: this page needs https or localhost for the microphone');
    return undefined;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 } });
    context.createMediaStreamSource(stream).connect(node);
    const track = stream.getAudioTracks()[0];
    const settings = track?.getSettings?.() ?? {};
    hooks.onMicrophone(`on${track?.label ? ` (${track.label})` : ''}${settings.echoCancellation === false ? ', echo cancellation off: use headphones' : ', echo cancellation on'}`);
    return stream;
  } catch (error) {
    hooks.onMicrophone(`off: ${error?.name === 'NotAllowedError' ? 'permission refused' : error?.message ?? error} (typed lines still work)`);
    return undefined;
  }
}
