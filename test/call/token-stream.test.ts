import { describe, expect, it } from 'vitest';
import { BufferedTokenStream } from '../../runtime/call/token-stream.js';
import type { LanguageModel, LlmDelta, LlmRequest } from '../../runtime/providers/types.js';

/** A model whose tokens come when the test releases them. */
function gatedModel() {
  const pending: LlmDelta[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  const model: LanguageModel = {
    id: 'gated',
    capabilities: { streaming: true },
    async *stream(_request: LlmRequest) {
      for (;;) {
        while (pending.length > 0) yield pending.shift()!;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  const release = (...tokens: LlmDelta[]) => {
    pending.push(...tokens);
    wake?.();
  };
  const end = () => {
    ended = true;
    wake?.();
  };
  return { model, release, end };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

async function readAll(stream: BufferedTokenStream): Promise<LlmDelta[]> {
  const out: LlmDelta[] = [];
  for await (const token of stream.read()) out.push(token);
  return out;
}

describe('BufferedTokenStream', () => {
  it('joins the text tokens already buffered when the reader asks, and keeps control tokens apart and in order', async () => {
    const { model, release, end } = gatedModel();
    const stream = new BufferedTokenStream(model, { messages: [], model: 'm', temperature: 0, maxOutputTokens: 10 });
    release('Yes', ',', ' we', { type: 'end-call' }, ' close', ' now.');
    end();
    await settle();
    expect(stream.tokens).toHaveLength(6); // the buffer keeps every token as it came
    expect(await readAll(stream)).toEqual(['Yes, we', { type: 'end-call' }, ' close now.']);
  });

  it('hands over live tokens as they come when the reader is waiting', async () => {
    const { model, release, end } = gatedModel();
    const stream = new BufferedTokenStream(model, { messages: [], model: 'm', temperature: 0, maxOutputTokens: 10 });
    const seen: LlmDelta[] = [];
    const reading = (async () => {
      for await (const token of stream.read()) seen.push(token);
    })();
    release('Hello');
    await settle();
    expect(seen).toEqual(['Hello']);
    release(' there');
    await settle();
    expect(seen).toEqual(['Hello', ' there']);
    end();
    await reading;
  });
});
