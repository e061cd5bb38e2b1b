/*
 * X-Twilio-Signature, as twilio-node computes and checks it: base64(HMAC-SHA1(token, URL + sorted name/value
 * pairs)). Known vectors from Twilio's documentation must come out exactly, a hand computation with node:crypto
 * must agree, and every way a forged or replayed request differs (token, parameter, path, query) must fail.
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  publicRequestUrl,
  twilioSignature,
  twilioUrlVariants,
  validateTwilioJsonRequest,
  validateTwilioSignature,
  validateTwilioUpgrade,
} from '../../../runtime/transports/twilio/index.js';

const DOCS_URL = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const DOCS_PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };

describe('twilioSignature', () => {
  it("reproduces the example of Twilio's security docs", () => {
    // twilio.com/docs/usage/security: auth token 12345, this URL and these POST parameters.
    expect(twilioSignature('12345', DOCS_URL, DOCS_PARAMS)).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
    // The same example in twilio-php's docs, with a caller one digit different.
    const phpDocs = { ...DOCS_PARAMS, Caller: '+14158675309', From: '+14158675309' };
    expect(twilioSignature('12345', DOCS_URL, phpDocs)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
  });

  it('agrees with a computation by hand: URL, then each name and value in name order, HMAC-SHA1, base64', () => {
    const url = 'https://voice.example.com/twilio/receptionist/twiml';
    const params = { To: '+15550199', From: '+15550100', CallSid: 'CA42', AccountSid: 'AC7' };
    const data = `${url}AccountSidAC7CallSidCA42From+15550100To+15550199`;
    const byHand = createHmac('sha1', 'token-abc').update(data, 'utf8').digest('base64');
    expect(twilioSignature('token-abc', url, params)).toBe(byHand);
    expect(twilioSignature('token-abc', url, new URLSearchParams(params))).toBe(byHand);
  });

  it('signs each distinct value of a repeated name, sorted, as twilio-node does', () => {
    const byHand = createHmac('sha1', 't').update('https://h/pAaAbBx').digest('base64');
    expect(twilioSignature('t', 'https://h/p', { B: 'x', A: ['b', 'a', 'b'] })).toBe(byHand);
    expect(twilioSignature('t', 'https://h/p', new URLSearchParams('B=x&A=b&A=a'))).toBe(byHand);
  });
});

describe('validateTwilioSignature', () => {
  it('accepts the real signature, and nothing forged', () => {
    expect(validateTwilioSignature('12345', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', DOCS_URL, DOCS_PARAMS)).toBe(true);
    expect(validateTwilioSignature('12346', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', DOCS_URL, DOCS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('12345', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', DOCS_URL, { ...DOCS_PARAMS, Digits: '9999' })).toBe(false);
    expect(validateTwilioSignature('12345', 'GvWf1cFY/Q7PnoempGyD5oXAezc=', DOCS_URL.replace('foo=1', 'foo=2'), DOCS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('12345', 'GvWf1cFY/Q7PnoempGyD5oXAezc', DOCS_URL, DOCS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('12345', '', DOCS_URL, DOCS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('12345', undefined, DOCS_URL, DOCS_PARAMS)).toBe(false);
    expect(validateTwilioSignature('12345', ['GvWf1cFY/Q7PnoempGyD5oXAezc='], DOCS_URL, DOCS_PARAMS)).toBe(false); // a repeated header
    expect(validateTwilioSignature('', twilioSignature('', DOCS_URL, DOCS_PARAMS), DOCS_URL, DOCS_PARAMS)).toBe(false);
  });

  it('a GET signs the URL with its query and no parameters', () => {
    const url = 'https://h.example.com/twilio/a/twiml?CallSid=CA1&From=%2B15550100';
    const signature = twilioSignature('tok', url, {});
    expect(validateTwilioSignature('tok', signature, url)).toBe(true);
    expect(validateTwilioSignature('tok', signature, url, { CallSid: 'CA1' })).toBe(false);
  });

  it('accepts the URL signed with or without its standard port, as Twilio may sign either (twilio-node spec cases)', () => {
    const withPort = 'https://example.com:443/path?test=param';
    const withoutPort = 'https://example.com/path?test=param';
    expect(validateTwilioSignature('s3cr3t', twilioSignature('s3cr3t', withPort), withoutPort)).toBe(true);
    expect(validateTwilioSignature('s3cr3t', twilioSignature('s3cr3t', withoutPort), withPort)).toBe(true);
    expect(validateTwilioSignature('s3cr3t', twilioSignature('s3cr3t', withoutPort), 'https://example.com/path?test=param2')).toBe(false);
    expect(twilioUrlVariants('wss://h.example.com/twilio/a')).toContain('wss://h.example.com:443/twilio/a');
  });

  it("accepts a query signed with the quote escaped or not (twilio-node's legacy querystring case)", () => {
    const plain = "https://example.com/path?test=param'WithQuote";
    const escaped = 'https://example.com/path?test=param%27WithQuote';
    for (const [signed, received] of [[plain, plain], [plain, escaped], [escaped, plain], [escaped, escaped]] as const) {
      expect(validateTwilioSignature('s3cr3t', twilioSignature('s3cr3t', signed), received), `${signed} -> ${received}`).toBe(true);
    }
  });
});

describe('the Media Streams WebSocket upgrade', () => {
  it('is signed over the wss:// URL Twilio connected to, with no parameters', () => {
    const url = 'wss://voice.example.com/twilio/receptionist';
    const byHand = createHmac('sha1', 'tok').update(url).digest('base64');
    expect(validateTwilioUpgrade('tok', byHand, url)).toBe(true);
    expect(validateTwilioUpgrade('tok', byHand, 'wss://voice.example.com:443/twilio/receptionist')).toBe(true);
  });

  it('refuses a signature replayed to another path, host or scheme', () => {
    const signature = twilioSignature('tok', 'wss://voice.example.com/twilio/receptionist');
    expect(validateTwilioUpgrade('tok', signature, 'wss://voice.example.com/twilio/billing')).toBe(false);
    expect(validateTwilioUpgrade('tok', signature, 'wss://other.example.com/twilio/receptionist')).toBe(false);
    expect(validateTwilioUpgrade('tok', signature, 'https://voice.example.com/twilio/receptionist')).toBe(false);
    expect(validateTwilioUpgrade('tok', undefined, 'wss://voice.example.com/twilio/receptionist')).toBe(false);
  });

  it('rebuilds the public URL behind a proxy from --public-url', () => {
    expect(publicRequestUrl('https://voice.example.com', '/twilio/a', 'websocket')).toBe('wss://voice.example.com/twilio/a');
    expect(publicRequestUrl('https://voice.example.com/', '/twilio/a/twiml?x=1')).toBe('https://voice.example.com/twilio/a/twiml?x=1');
    expect(publicRequestUrl('https://example.com:8443/voice/', '/twilio/a', 'websocket')).toBe('wss://example.com:8443/voice/twilio/a');
    expect(publicRequestUrl('http://127.0.0.1:8080', '/twilio/a', 'websocket')).toBe('ws://127.0.0.1:8080/twilio/a');
  });
});

describe('a JSON-bodied request', () => {
  it('is signed through its bodySHA256, and the body must match it', () => {
    // Body and URL of Twilio's JSON signature-validation sample (twilio-samples/api-snippets): the hash is the body's.
    const body = '{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}';
    const url = 'https://example.com/myapp?bodySHA256=5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9';
    expect(createHash('sha256').update(body).digest('hex')).toBe(new URL(url).searchParams.get('bodySHA256'));
    const signature = twilioSignature('12345', url, {});
    expect(validateTwilioJsonRequest('12345', signature, url, body)).toBe(true);
    expect(validateTwilioJsonRequest('12345', signature, url, body.replace('CA1', 'CA9'))).toBe(false);
  });
});
