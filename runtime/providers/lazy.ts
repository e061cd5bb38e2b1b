import type { AgentSpec } from '../dsl/index.js';
import type { ProviderContext, RealProviders } from './create-providers.js';

export type { ProviderContext, RealProviders } from './create-providers.js';

/**
 * Builds the providers an agent's YAML asks for (OpenAI Realtime and Chat Completions, ElevenLabs, or the
 * offline voice) with keys from `ctx.env`. The provider SDKs are loaded on the first call, so a program that
 * never builds real providers (the offline default, `validate`) never loads them.
 */
export async function createProviders(spec: AgentSpec, ctx: ProviderContext): Promise<RealProviders> {
  const { createProviders: create } = await import('./create-providers.js');
  return create(spec, ctx);
}
