// Keys reach providers only through `${env:NAME}` references. When one is missing, the person starting a call
// must learn which variable, which agent file and field, and how to fix it, and no message may echo a key.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../runtime/providers/errors.js';
import { envReferenceName, resolveSecret } from '../../runtime/providers/secrets.js';

const where = { agentFile: 'agents/support.yaml', field: 'models.fast.apiKey' };

function failure(run: () => unknown): ProviderError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected resolveSecret to throw');
}

describe('resolveSecret', () => {
  it('resolves a ${env:NAME} reference, trimming a trailing newline', () => {
    expect(resolveSecret('${env:OPENAI_API_KEY}', { ...where, env: { OPENAI_API_KEY: 'sk-abc\n' } })).toBe('sk-abc');
  });

  it('names the variable, the agent file, the field and the fix when the variable is not set', () => {
    const error = failure(() => resolveSecret('${env:OPENAI_API_KEY}', { ...where, env: {}, provider: 'openai-chat' }));
    expect(error.kind).toBe('auth');
    expect(error.retryable).toBe(false);
    expect(error.provider).toBe('openai-chat');
    expect(error.message).toContain('OPENAI_API_KEY is not set');
    expect(error.message).toContain('agents/support.yaml');
    expect(error.message).toContain('models.fast.apiKey');
    expect(error.message).toContain('set OPENAI_API_KEY in the environment');
    expect(error.message).toContain('voiceagent test');
  });

  it('treats an empty or blank variable as missing', () => {
    const error = failure(() => resolveSecret('${env:KEY}', { ...where, env: { KEY: '  ' } }));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('KEY is empty');
  });

  it('says how to add the field when it is absent', () => {
    const error = failure(() => resolveSecret(undefined, { ...where, env: {} }));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('agents/support.yaml: `models.fast.apiKey` is not set');
    expect(error.message).toContain('apiKey: ${env:NAME}');
  });

  it('rejects a literal key without echoing it', () => {
    const literal = 'sk-proj-THISISALITERALKEY0123456789';
    const error = failure(() => resolveSecret(literal, { ...where, env: {} }));
    expect(error.kind).toBe('bad-request');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('${env:OPENAI_API_KEY}');
    expect(error.message).not.toContain(literal);
  });

  it('does not resolve references embedded in other text or with invalid names', () => {
    expect(envReferenceName('Bearer ${env:KEY}')).toBeUndefined();
    expect(envReferenceName('${env:1KEY}')).toBeUndefined();
    expect(envReferenceName('${env:KEY}')).toBe('KEY');
    expect(failure(() => resolveSecret('${ENV:KEY}', { ...where, env: { KEY: 'x' } })).kind).toBe('bad-request');
  });
});
