/**
 * `npm run bench:openai-chat`: what the Chat Completions adapter (runtime/providers/openai/chat-llm.ts, i.e. the
 * `openai` SDK's SSE parsing plus our chunk handling) costs per token, against the mock server on 127.0.0.1
 * streaming a long reply with 0 ms latency (all chunks back to back).
 *
 * Measured, per run (default 20 runs after 2 warm-ups), each as wall time / tokens, microseconds per token:
 *   - raw read: `fetch` + reading the body bytes, no parsing: the floor set by the mock server (same process:
 *     it serialises every chunk too) and the HTTP stack;
 *   - hand-parsed: raw read + splitting `data:` lines + `JSON.parse`: a minimal client;
 *   - adapter: `createOpenAiChatLlm().stream()` drained;
 *   - adapter + withResilience: the same through the retry/metrics wrapper, as the runtime uses it.
 * "Overhead" rows subtract the raw read: what the client side adds per token.
 *
 * Options: `--runs <n>` (default 20), `--tokens <n>` (default 2000), `--json` (one JSON line instead of the table).
 */
import { performance } from 'node:perf_hooks';
import { createOpenAiChatLlm } from '../runtime/providers/openai/chat-llm.js';
import { withResilience } from '../runtime/providers/resilient.js';
import type { LanguageModel, LlmRequest } from '../runtime/providers/types.js';
import { realClock } from '../runtime/util/clock.js';
import { startMockChatServer } from '../test/mocks/openai-chat-server.js';
import { printTable, summarize, type Summary } from './stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Math.max(1, Number(args[at + 1]) || fallback) : fallback;
};
const runs = option('--runs', 20);
const tokenCount = option('--tokens', 2000);
const json = args.includes('--json');

const KEY = 'sk-bench';
const tokens = Array.from({ length: tokenCount }, (_, i) => ` word${i % 100}`);
const server = await startMockChatServer({ apiKey: KEY, tokens });
const body = { model: 'bench-model', messages: [{ role: 'user', content: 'Talk for a while.' }], temperature: 0, max_tokens: tokenCount + 10, stream: true };
const request = (): LlmRequest => ({ messages: body.messages as LlmRequest['messages'], model: body.model, temperature: 0, maxOutputTokens: tokenCount + 10, signal: new AbortController().signal });

async function post(): Promise<Response> {
  return fetch(`${server.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Reads the body without parsing. */
async function rawRead(): Promise<number> {
  const response = await post();
  let bytes = 0;
  for await (const chunk of response.body!) bytes += (chunk as Uint8Array).byteLength;
  if (bytes === 0) throw new Error('empty body');
  return tokenCount;
}

/** Reads the body, splits `data:` lines and parses each chunk: the least any SSE client must do. */
async function handParsed(): Promise<number> {
  const response = await post();
  const decoder = new TextDecoder();
  let buffer = '';
  let count = 0;
  for await (const chunk of response.body!) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const parsed = JSON.parse(event.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
      if (parsed.choices[0]?.delta.content) count++;
    }
  }
  return count;
}

async function drain(llm: LanguageModel): Promise<number> {
  let count = 0;
  for await (const delta of llm.stream(request())) if (typeof delta === 'string') count++;
  return count;
}

const adapter = createOpenAiChatLlm({ apiKey: KEY, baseURL: server.baseURL });
const resilient = withResilience(adapter, { clock: realClock });
const variants: ReadonlyArray<readonly [string, () => Promise<number>]> = [
  ['raw read', rawRead],
  ['hand-parsed', handParsed],
  ['adapter', () => drain(adapter)],
  ['adapter + withResilience', () => drain(resilient)],
];

const perTokenUs: Record<string, number[]> = Object.fromEntries(variants.map(([name]) => [name, []]));
for (let run = -2; run < runs; run++) {
  // Interleaved so drift (GC, CPU frequency) hits every variant alike.
  for (const [name, fn] of variants) {
    const startedAt = performance.now();
    const count = await fn();
    const us = ((performance.now() - startedAt) * 1000) / tokenCount;
    if (count !== tokenCount) throw new Error(`${name}: got ${count} tokens, expected ${tokenCount}`);
    if (run >= 0) perTokenUs[name]!.push(us);
  }
}
await server.close();
if (server.violations.length > 0) throw new Error(`the mock saw protocol violations: ${server.violations.join('; ')}`);

const floor = summarize(perTokenUs['raw read']!).p50;
const rows: Array<readonly [string, Summary]> = variants.map(([name]) => [`${name}, us/token`, summarize(perTokenUs[name]!)] as const);
for (const name of ['hand-parsed', 'adapter', 'adapter + withResilience']) {
  rows.push([`overhead of ${name} over raw read, us/token`, summarize(perTokenUs[name]!.map((us) => us - floor))]);
}
if (json) {
  process.stdout.write(`${JSON.stringify({ tokens: tokenCount, runs, perTokenUs: Object.fromEntries(rows) })}\n`);
} else {
  process.stdout.write(`OpenAI Chat Completions adapter vs mock on 127.0.0.1, ${tokenCount} tokens at 0 ms latency, ${runs} runs\n`);
  printTable(rows);
}
