import { takeDelta } from '../providers/llm-deltas.js';
import type { LanguageModel, LlmDelta, LlmRequest } from '../providers/types.js';

/**
 * A language-model stream that starts now and can be consumed later, from the beginning: used for
 * preemptive drafts (started on a stable partial, adopted when the final transcript matches) and for hedged
 * requests. Aborting it aborts the underlying request.
 */
export class BufferedTokenStream {
  readonly tokens: LlmDelta[] = [];
  /** Call time the request went out, ms; set when the stream was given a clock (`now`). */
  readonly requestedAtMs: number | undefined;
  /**
   * Call time the model's first text token arrived, ms (set when the stream was given a clock). A reader that
   * comes later (a kept draft) reads it later: this is the model's own time, not the reader's.
   */
  firstTokenAtMs: number | undefined;
  private done = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  private readonly controller = new AbortController();

  /** `now` (call time, ms), when given, times the request and its first token (see {@link requestedAtMs}). */
  constructor(
    llm: LanguageModel,
    request: Omit<LlmRequest, 'signal'>,
    private readonly now?: () => number,
  ) {
    this.requestedAtMs = now?.();
    void this.pump(llm, { ...request, signal: this.controller.signal });
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  abort(): void {
    this.controller.abort();
    this.finish();
  }

  /**
   * Every token from the first, then live ones until the model ends; rethrows the model's error. Text tokens
   * that are already here when the reader asks come joined as one ({@link takeDelta}).
   */
  async *read(): AsyncGenerator<LlmDelta> {
    let index = 0;
    for (;;) {
      while (index < this.tokens.length) {
        const [delta, next] = takeDelta(this.tokens, index);
        index = next;
        yield delta;
      }
      if (this.error !== undefined) throw this.error;
      if (this.done) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private async pump(llm: LanguageModel, request: LlmRequest): Promise<void> {
    try {
      for await (const token of llm.stream(request)) {
        if (this.controller.signal.aborted) break;
        if (this.firstTokenAtMs === undefined && typeof token === 'string' && this.now) this.firstTokenAtMs = this.now();
        this.tokens.push(token);
        this.notify();
      }
    } catch (error) {
      if (!this.controller.signal.aborted) this.error = error;
    }
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
