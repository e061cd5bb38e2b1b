import { afterEach, beforeEach } from 'vitest';
import { startElevenLabsMock, type ElevenLabsMock } from './elevenlabs-server.js';
import { startMockChatServer, type MockChatServer } from './openai-chat-server.js';

/** The keys {@link useProviderMocks}' mocks accept. */
export const MOCK_KEYS = { openai: 'sk-test', elevenlabs: 'el-key' } as const;

/**
 * Starts an ElevenLabs mock and an OpenAI chat mock (which also lists models) before each test of the
 * enclosing suite and closes them after it. A test may replace either (e.g. to close one): the one there at
 * the end is closed.
 */
export function useProviderMocks(): { elevenlabs: ElevenLabsMock; openai: MockChatServer } {
  const mocks = {} as { elevenlabs: ElevenLabsMock; openai: MockChatServer };
  beforeEach(async () => {
    mocks.elevenlabs = await startElevenLabsMock({ apiKey: MOCK_KEYS.elevenlabs });
    mocks.openai = await startMockChatServer({ apiKey: MOCK_KEYS.openai });
  });
  afterEach(async () => {
    await mocks.elevenlabs.close();
    await mocks.openai.close();
  });
  return mocks;
}
