// The connect URL: the rate, and the call's own parameters (everything but the rate and the token).
import { describe, expect, it } from 'vitest';
import { parseCallQuery } from '../../../runtime/transports/websocket/index.js';

const url = (query: string) => new URL(`http://localhost/calls/receptionist${query}`);

describe('parseCallQuery', () => {
  it('reads the rate (16000 by default) and keeps every other parameter but the token', () => {
    expect(parseCallQuery(url(''))).toEqual({ ok: true, sampleRate: 16000, parameters: {} });
    expect(parseCallQuery(url('?rate=8000&token=s3cret&customer=42&from=%2B1555'))).toEqual({ ok: true, sampleRate: 8000, parameters: { customer: '42', from: '+1555' } });
    for (const rate of [8000, 16000, 24000, 48000]) expect(parseCallQuery(url(`?rate=${rate}`))).toMatchObject({ ok: true, sampleRate: rate });
  });

  it('refuses an unsupported rate and too many or too long parameters with a 400 that says what to do', () => {
    expect(parseCallQuery(url('?rate=44100'))).toEqual({ ok: false, status: 400, message: 'rate=44100 is not supported; use rate=8000, 16000, 24000, 48000 (Hz) or leave it out for 16000' });
    expect(parseCallQuery(url('?rate=abc'))).toMatchObject({ ok: false, status: 400 });
    const many = Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&');
    expect(parseCallQuery(url(`?${many}`))).toMatchObject({ ok: false, message: 'more than 32 query parameters; pass fewer' });
    expect(parseCallQuery(url(`?note=${'x'.repeat(257)}`))).toMatchObject({ ok: false, message: expect.stringMatching(/longer than 256 characters/) });
  });
});
