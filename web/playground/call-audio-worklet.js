/*
 * The playground's audio thread (an AudioWorklet, running at the call's rate): the microphone cut into 20 ms
 * PCM16 frames for the server (silence while muted or when no input is connected, so the call's audio clock
 * keeps running), and the agent's voice played from a queue, with each `mark` echoed once playback passes it
 * (docs/websocket-protocol.md, "What the caller heard"). It also reports the peak of each side every 20 ms
 * for the waveforms, measured on what is actually sent and actually played.
 */
class CallAudio extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frameSamples = Math.round(sampleRate / 50);
    this.frame = new Int16Array(this.frameSamples); // microphone: the 20 ms frame being filled
    this.filled = 0;
    this.muted = false;
    this.queue = []; // agent audio: Int16Array chunks to play, in order
    this.offset = 0; // position in queue[0]
    this.queued = 0; // samples ever queued
    this.played = 0; // samples ever played (or dropped by a clear)
    this.marks = []; // { name, at: queued position the mark follows }
    this.micPeak = 0;
    this.outPeak = 0;
    this.port.onmessage = ({ data }) => this.onMessage(data);
  }

  onMessage(data) {
    if (data.type === 'audio') {
      this.queue.push(data.samples);
      this.queued += data.samples.length;
    } else if (data.type === 'mark') {
      this.marks.push({ name: data.name, at: this.queued });
    } else if (data.type === 'clear') {
      // Barge-in: stop now, drop what is queued, and report each mark still held as dropped.
      this.queue = [];
      this.offset = 0;
      this.played = this.queued;
      for (const mark of this.marks.splice(0)) this.port.postMessage({ type: 'played', mark: mark.name, dropped: true });
    } else if (data.type === 'mute') {
      this.muted = data.muted === true;
    }
  }

  process(inputs, outputs) {
    const mic = inputs[0] && inputs[0][0];
    const quantum = outputs[0][0].length;
    for (let i = 0; i < quantum; i++) {
      const sample = mic && !this.muted && i < mic.length ? Math.max(-1, Math.min(1, mic[i])) : 0;
      const magnitude = sample < 0 ? -sample : sample;
      if (magnitude > this.micPeak) this.micPeak = magnitude;
      this.frame[this.filled++] = Math.round(sample * 32767);
      if (this.filled === this.frameSamples) this.flushFrame();
    }
    const out = outputs[0][0];
    for (let i = 0; i < out.length; i++) {
      while (this.queue.length > 0 && this.offset >= this.queue[0].length) {
        this.queue.shift();
        this.offset = 0;
      }
      if (this.queue.length === 0) {
        out[i] = 0;
        continue;
      }
      const value = this.queue[0][this.offset++] / 32768;
      out[i] = value;
      const magnitude = value < 0 ? -value : value;
      if (magnitude > this.outPeak) this.outPeak = magnitude;
      this.played++;
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    while (this.marks.length > 0 && this.marks[0].at <= this.played) {
      this.port.postMessage({ type: 'played', mark: this.marks.shift().name, dropped: false });
    }
    return true;
  }

  flushFrame() {
    // The buffer is transferred (no copy): a new one takes its place.
    this.port.postMessage({ type: 'frame', pcm: this.frame.buffer, micPeak: this.micPeak, outPeak: this.outPeak, queuedMs: ((this.queued - this.played) * 1000) / sampleRate }, [this.frame.buffer]);
    this.frame = new Int16Array(this.frameSamples);
    this.filled = 0;
    this.micPeak = 0;
    this.outPeak = 0;
  }
}

registerProcessor('voiceagent-call-audio', CallAudio);
