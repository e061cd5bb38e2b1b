/**
 * The entry of a synthesis thread (started by `synthesis-pool.ts`, never imported): it loads eSpeak NG, says
 * `ready` with the voices, then answers one message at a time. Chunks go back with their PCM buffers
 * transferred, not copied. A load failure is thrown, so the pool sees the thread fail before `ready`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadEspeakEngine, type EspeakEngine } from './espeak-engine.js';
import { synthesisePhrase } from './phrase-synthesis.js';
import { SYNTHESIS_WORKER_ROLE, type FromSynthesisWorker, type ToSynthesisWorker } from './synthesis-messages.js';

function answer(engine: EspeakEngine, message: ToSynthesisWorker): FromSynthesisWorker {
  try {
    if (message.type === 'resolve') return { type: 'resolved', id: message.id, voice: engine.resolveVoice(message.voice, message.language) };
    return { type: 'phrase', id: message.id, chunks: synthesisePhrase(engine, message.request) };
  } catch (error) {
    return { type: 'failed', id: message.id, message: error instanceof Error ? error.message : String(error) };
  }
}

async function serve(port: MessagePort): Promise<void> {
  const engine = await loadEspeakEngine();
  port.on('message', (message: ToSynthesisWorker) => {
    const reply = answer(engine, message);
    // Each chunk owns its buffer (toChunks slices), so every buffer can move to the main thread.
    port.postMessage(reply, reply.type === 'phrase' ? reply.chunks.map((chunk) => chunk.pcm.buffer as ArrayBuffer) : []);
  });
  port.postMessage({ type: 'ready', voices: engine.voices } satisfies FromSynthesisWorker);
}

if (parentPort && (workerData as { role?: unknown } | null)?.role === SYNTHESIS_WORKER_ROLE) await serve(parentPort);
