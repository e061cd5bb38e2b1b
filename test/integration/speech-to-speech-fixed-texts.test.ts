// A speech-to-speech agent greets the caller. Its voice is the realtime model, so a fixed text (greeting,
// reprompt, goodbye) must be asked of the model: on main no `response.create` was sent, the call sat in
// `thinking` until the reply watchdog gave up, and the record still listed the greeting as heard. Now the
// model gets a response whose instructions carry the exact text, its audio is what the caller hears, and the
// record's greeting is the words heard. Against the loopback Realtime mock, through the real adapters.
import { afterEach, describe, expect, it } from 'vitest';
import { fixedTextInstructions } from '../../runtime/providers/openai/realtime-voice.js';
import type { MockReplyContext } from '../mocks/openai-realtime-server.js';
import { closeMocks, fixtureSpeech, mockViolations, startCall, startMocks, type CallRig, type Mocks } from './call-rig.js';

let mocks: Mocks | undefined;
let rig: CallRig | undefined;

afterEach(async () => {
  await rig?.end();
  if (mocks) await closeMocks(mocks);
  rig = undefined;
  mocks = undefined;
});

const GREETING = 'Thank you for calling the dental clinic.';

function agentYaml(m: Mocks): string {
  return `
apiVersion: voiceagent/v1
name: speech-to-speech-greeting
inference:
  mode: speech-to-speech
  realtime: { provider: openai, model: gpt-realtime, baseURL: '${m.realtime!.baseURL}', apiKey: '\${env:OPENAI_API_KEY}', transcriptionModel: gpt-4o-transcribe, turnDetection: local }
voice: { provider: openai, voices: { en: marin } }
languages: { default: en }
prompt: { system: You are the front desk of a dental clinic. Be brief., greeting: '${GREETING}' }
`;
}

describe('fixed texts in speech-to-speech', () => {
  it('asks the model to say the greeting word for word, plays its audio, and records what was heard', async () => {
    const seen: MockReplyContext[] = [];
    mocks = await startMocks({
      realtime: {
        transcripts: ['Could you tell me your opening hours?'],
        // The model says what its instructions quote for a fixed text, else it answers.
        reply: (context) => {
          seen.push(structuredClone(context));
          return context.instructions.startsWith('Say exactly') ? GREETING : 'We open at nine.';
        },
      },
    });
    rig = await startCall({ yaml: agentYaml(mocks), ca: mocks.realtime!.ca });
    await rig.until('the greeting to reach the transport', () => rig!.utteranceStart(1) !== undefined, 4000);
    const connection = mocks.realtime!.connections[0]!;
    const creates = connection.received.filter((event) => event.type === 'response.create');
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatchObject({ response: { instructions: fixedTextInstructions(GREETING), output_modalities: ['audio'] } });
    await rig.until('the greeting to be played out', () => rig!.session.states().includes('active.agent.idle.attentive'), 6000);
    const greeting = rig.session.record.transcript[0]!;
    expect(greeting).toMatchObject({ role: 'assistant', text: GREETING });
    expect(greeting.interrupted).toBeUndefined();
    expect(rig.session.record.failures).toEqual([]);

    // The caller asks; the model answers as usual, its history holding the greeting as said.
    void rig.say(fixtureSpeech('speech-en-female', 40, 1900));
    await rig.until('the answer', () => rig!.session.record.turns[0]?.outcome === 'answered', 8000);
    expect(seen.at(-1)!.conversation.filter((item) => item.role === 'assistant').map((item) => item.text)).toEqual([GREETING]);
    expect(rig.session.record.transcript.map((entry) => entry.text)).toEqual([GREETING, 'Could you tell me your opening hours?', 'We open at nine.']);
    expect(mockViolations(mocks)).toEqual([]);
  });
});
