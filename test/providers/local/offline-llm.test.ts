// The offline scripted model plays each example agent's `offline:` section: it picks the first reply whose
// `when` holds for the caller's turn (intents, language, turn, transcript), says it in the call's language with
// captured slots filled in, and streams it with the agent's timing on the injected clock, ending with an
// end-call control when the reply hangs up. It keeps no state: everything comes from the request.
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAgent, type AgentSpec } from '../../../runtime/dsl/index.js';
import { createOfflineLlm } from '../../../runtime/providers/local/index.js';
import { flushMicrotasks } from '../../../runtime/util/flush.js';
import type { ChatMessage, LlmCallFacts, LlmDelta, LlmRequest } from '../../../runtime/providers/types.js';
import { createSimulatedClock, type Clock } from '../../../runtime/util/clock.js';

const AGENTS = fileURLToPath(new URL('../../../agents/', import.meta.url));

function agent(name: string): AgentSpec {
  const loaded = loadAgent({ file: join(AGENTS, `${name}.yaml`) });
  if (!loaded.ok) throw new Error(`agents/${name}.yaml is invalid`);
  return loaded.spec;
}

function agentFromText(offline: string): AgentSpec {
  const text = `apiVersion: voiceagent/v1
name: booking
inference: { mode: dualplex, realtime: { provider: openai } }
intents:
  booking: [book, appointment]
voice: { provider: elevenlabs, voices: { en: voice-en } }
prompt: { system: You book appointments. }
offline:
${offline}`;
  const loaded = loadAgent({ file: 'booking.yaml', text });
  if (!loaded.ok) throw new Error(loaded.diagnostics.map((d) => d.message).join('\n'));
  return loaded.spec;
}

/** A request whose user messages are `turns` (with assistant replies between them), the last being the caller's turn. */
function request(turns: readonly string[], facts?: LlmCallFacts, signal: AbortSignal = new AbortController().signal): LlmRequest {
  const messages: ChatMessage[] = [{ role: 'system', content: 'prompt' }];
  turns.forEach((content, index) => {
    if (index > 0) messages.push({ role: 'assistant', content: 'reply' });
    messages.push({ role: 'user', content });
  });
  return { messages, model: 'offline', temperature: 0, maxOutputTokens: 100, signal, ...(facts ? { facts } : {}) };
}

interface Collected {
  readonly deltas: Array<{ readonly delta: LlmDelta; readonly atMs: number }>;
  readonly text: () => string;
  readonly ended: () => boolean;
  readonly finished: Promise<void>;
}

function collect(stream: AsyncIterable<LlmDelta>, clock: Clock): Collected {
  const deltas: Array<{ delta: LlmDelta; atMs: number }> = [];
  const finished = (async () => {
    for await (const delta of stream) deltas.push({ delta, atMs: clock.now() });
  })();
  return {
    deltas,
    text: () => deltas.map(({ delta }) => (typeof delta === 'string' ? delta : '')).join(''),
    ended: () => deltas.some(({ delta }) => typeof delta !== 'string' && delta.type === 'end-call'),
    finished,
  };
}

/** Streams the reply to `turns` to the end on a simulated clock. */
async function replyTo(spec: AgentSpec, turns: readonly string[], facts?: LlmCallFacts): Promise<{ text: string; endCall: boolean }> {
  const clock = createSimulatedClock();
  const reply = collect(createOfflineLlm(spec, { clock }).stream(request(turns, facts)), clock);
  clock.advance(60_000);
  await reply.finished;
  return { text: reply.text(), endCall: reply.ended() };
}

describe('createOfflineLlm on the receptionist', () => {
  const spec = agent('receptionist');

  it('answers on intents, first matching reply first', async () => {
    expect(await replyTo(spec, ['What are your opening hours?'])).toEqual({
      text: "We're open Monday to Friday from eight to six, and Saturday mornings from nine to one.",
      endCall: false,
    });
    expect((await replyTo(spec, ['How much does a cleaning cost?'])).text).toBe('A check-up and cleaning is ninety-five dollars, and most insurance plans are accepted.');
    expect((await replyTo(spec, ['I need an appointment'])).text).toBe('Sure, I can book you in. Which day works best for you?');
  });

  it('captures the day and fills it in', async () => {
    expect((await replyTo(spec, ['I need an appointment', 'Thursday would be great'])).text).toBe('I have a slot on Thursday at ten in the morning. Shall I book it for you?');
  });

  it('checks the turn from the facts, or counts user messages without them', async () => {
    const done = "Done, you're booked in at ten. We'll text you a reminder the day before.";
    const fallback = 'I can help with opening hours, prices and appointments. What would you like to know?';
    expect((await replyTo(spec, ['sure'], { language: 'en', turn: 1 })).text).toBe(fallback);
    expect((await replyTo(spec, ['sure'], { language: 'en', turn: 3 })).text).toBe(done);
    expect((await replyTo(spec, ['book me in', 'Thursday', 'sounds good'])).text).toBe(done);
  });

  it('falls back to the default reply', async () => {
    expect((await replyTo(spec, ['Do you sell toothbrushes?'])).text).toBe('I can help with opening hours, prices and appointments. What would you like to know?');
    expect((await replyTo(spec, [])).text).toBe('I can help with opening hours, prices and appointments. What would you like to know?');
  });

  it('ends a hang-up reply with an end-call control after its text', async () => {
    const clock = createSimulatedClock();
    const reply = collect(createOfflineLlm(spec, { clock }).stream(request(['ok bye'])), clock);
    clock.advance(60_000);
    await reply.finished;
    expect(reply.text()).toBe('Thanks for calling Bright Smile Dental. Have a lovely day!');
    expect(reply.deltas.at(-1)?.delta).toEqual({ type: 'end-call' });
    expect(reply.deltas.filter(({ delta }) => typeof delta !== 'string')).toHaveLength(1);
    expect(reply.deltas.at(-1)?.atMs).toBe(reply.deltas.at(-2)?.atMs);
  });
});

describe('createOfflineLlm on the dispatcher', () => {
  const spec = agent('dispatch');

  it('puts danger first, then the unit capture, then the other intents', async () => {
    expect((await replyTo(spec, ['There is water everywhere and I smell gas'])).text).toMatch(/^If anyone is in danger/);
    expect((await replyTo(spec, ['A pipe burst in unit 12B'])).text).toBe('Got it, unit 12B. A technician is being dispatched and will call you back within fifteen minutes.');
    expect((await replyTo(spec, ['a pipe burst'])).text).toMatch(/^If you can, turn off the water/);
    expect(await replyTo(spec, ['thank you'])).toEqual({ text: "You're welcome. Stay safe, we'll call you shortly.", endCall: true });
  });

  it('lets a later value of a slot win', async () => {
    expect((await replyTo(spec, ['my heating is out in unit 4', 'sorry, I meant unit 14'])).text).toMatch(/^Got it, unit 14\./);
    expect((await replyTo(spec, ['unit 4, no wait, unit 5'])).text).toMatch(/^Got it, unit 5\./);
  });
});

describe('createOfflineLlm on the multilingual concierge', () => {
  const spec = agent('multilingual');

  it('says the reply in the call language, falling back to the primary subtag and the default language', async () => {
    expect((await replyTo(spec, ['What time is breakfast?'], { language: 'en', turn: 1 })).text).toBe('Breakfast is served from six thirty to ten thirty in the Lighthouse restaurant.');
    expect((await replyTo(spec, ['Quel est le mot de passe du wifi ?'], { language: 'fr', turn: 1 })).text).toBe(
      'Le réseau Wi-Fi est Harbourview Guest, et le mot de passe est sur la pochette de votre carte.',
    );
    expect((await replyTo(spec, ['早餐几点开始？'], { language: 'zh', turn: 1 })).text).toBe('早餐时间是早上六点半到十点半，在灯塔餐厅。');
    expect((await replyTo(spec, ['À quelle heure est le départ ?'], { language: 'fr-CA', turn: 1 })).text).toBe('Le départ se fait avant onze heures.');
    expect((await replyTo(spec, ['Wann ist das Frühstück?'], { language: 'de', turn: 1 })).text).toMatch(/^I can help with breakfast/);
    expect((await replyTo(spec, ['早餐'])).text).toMatch(/^Breakfast is served/); // no facts: the default language
  });

  it('localizes the default and the goodbye, which hangs up', async () => {
    expect((await replyTo(spec, ['你好'], { language: 'zh', turn: 1 })).text).toBe('我可以为您介绍早餐、入住、退房和无线网络。请问您想了解什么？');
    expect(await replyTo(spec, ['Merci, au revoir'], { language: 'fr', turn: 2 })).toEqual({ text: 'Merci de votre appel. Au revoir !', endCall: true });
  });
});

describe('createOfflineLlm slots', () => {
  const spec = agentFromText(`  replies:
    - when: { turn: { max: 1 } }
      capture: { name: 'my name is (\\w+)' }
      say: Hello {name}, how can I help?
    - when: { intent: [booking] }
      capture: { day: '\\b(monday|friday)\\b' }
      say: Thanks {name}, booked for {day}. {unknown}
  default: Sorry {name}, could you say that again?
`);

  it('captures slots from every user message of the request, later values winning', async () => {
    expect((await replyTo(spec, ['hi, my name is Ann'])).text).toBe('Hello Ann, how can I help?');
    expect((await replyTo(spec, ['my name is Ann', 'book me on Friday'])).text).toBe('Thanks Ann, booked for Friday.');
    expect((await replyTo(spec, ['my name is Ann', 'sorry, my name is Bo', 'book monday please'])).text).toBe('Thanks Bo, booked for monday.');
  });

  it('leaves out slots nothing captured, never a raw placeholder', async () => {
    expect((await replyTo(spec, ['hello'])).text).toBe('Hello, how can I help?');
    expect((await replyTo(spec, ['hello', 'I want to book'])).text).toBe('Thanks, booked for.');
    expect((await replyTo(spec, ['hello', 'what?'])).text).toBe('Sorry, could you say that again?');
  });

  it('says what it would answer without streaming', () => {
    const llm = createOfflineLlm(spec, { clock: createSimulatedClock() });
    expect(llm.choose({ messages: [{ role: 'user', content: 'my name is Cy' }, { role: 'user', content: 'book friday' }] })).toEqual({ text: 'Thanks Cy, booked for friday.', rule: 1, hangup: false });
    expect(llm.id).toBe('local-offline');
  });
});

describe('createOfflineLlm timing and cancellation', () => {
  const spec = agentFromText(`  replies: []
  default: One two three.
  ttftMs: 300
  tokensPerSecond: 20
`);

  it('streams the first token after ttftMs, then one every 1000/tokensPerSecond ms, on the clock', async () => {
    const clock = createSimulatedClock();
    const reply = collect(createOfflineLlm(spec, { clock }).stream(request(['hello'])), clock);
    for (let ms = 0; ms < 1000; ms += 5) {
      clock.advance(5);
      await flushMicrotasks();
    }
    await reply.finished;
    expect(reply.deltas).toEqual([
      { delta: 'One', atMs: 300 },
      { delta: ' two', atMs: 350 },
      { delta: ' three', atMs: 400 },
      { delta: '.', atMs: 450 },
    ]);
  });

  it('stops promptly on abort, without throwing, and leaves no timer behind', async () => {
    const clock = createSimulatedClock();
    const controller = new AbortController();
    const reply = collect(createOfflineLlm(spec, { clock }).stream(request(['hello'], undefined, controller.signal)), clock);
    clock.advance(350);
    await flushMicrotasks();
    controller.abort();
    await reply.finished;
    expect(reply.text()).toBe('One two');
    expect(clock.pending()).toBe(0);
  });

  it('yields nothing for an already-aborted request', async () => {
    const clock = createSimulatedClock();
    const reply = collect(createOfflineLlm(spec, { clock }).stream(request(['hello'], undefined, AbortSignal.abort())), clock);
    await reply.finished;
    expect(reply.deltas).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});
