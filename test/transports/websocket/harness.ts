// A transport on a fake socket and a simulated clock, with a listener that records what reached the call.
import type { PlayedReport, TransportCloseReason, TransportListener, TransportStartInfo } from '../../../runtime/transports/types.js';
import { createWebSocketTransport, type WebSocketTransportOptions } from '../../../runtime/transports/websocket/index.js';
import { createSimulatedClock } from '../../../runtime/util/clock.js';
import { createFakeSocket } from './fake-socket.js';

/** A listener that records what the transport delivered to the call. */
export function recordingListener() {
  const got = { starts: [] as TransportStartInfo[], frames: [] as Int16Array[], played: [] as PlayedReport[], dtmf: [] as string[], closes: [] as TransportCloseReason[] };
  const listener: TransportListener = {
    onStart: (info) => got.starts.push(info),
    onAudio: (frame) => got.frames.push(frame.slice()),
    onPlayed: (report) => got.played.push(report),
    onDtmf: (digit) => got.dtmf.push(digit),
    onClose: (reason) => got.closes.push(reason),
  };
  return { got, listener };
}

/** A transport on a fake socket; `listen()` connects the recording listener. */
export function setup(options: Partial<WebSocketTransportOptions> = {}) {
  const socket = createFakeSocket();
  const clock = createSimulatedClock();
  const errors: string[] = [];
  const transport = createWebSocketTransport({ socket, clock, onProtocolError: (message) => errors.push(message), ...options });
  const { got, listener } = recordingListener();
  return { socket, clock, errors, transport, got, listen: () => transport.listen(listener) };
}

