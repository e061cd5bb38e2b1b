/*
 * The TwiML answering Twilio's voice webhook connects the call to our stream endpoint and passes every webhook
 * parameter on as a <Parameter>, escaped for XML. What Twilio or XML cannot carry is skipped, with a reason,
 * never truncated.
 */
import { describe, expect, it } from 'vitest';
import { escapeXml, streamParameters, twimlFor } from '../../../runtime/transports/twilio/index.js';

describe('twimlFor', () => {
  it('connects the call to the stream URL with the parameters, in order', () => {
    const xml = twimlFor({ streamUrl: 'wss://voice.example.com/twilio/receptionist', parameters: new URLSearchParams('From=%2B15550100&To=%2B15550199&lang=en') });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://voice.example.com/twilio/receptionist">' +
        '<Parameter name="From" value="+15550100"/><Parameter name="To" value="+15550199"/><Parameter name="lang" value="en"/>' +
        '</Stream></Connect></Response>',
    );
  });

  it('escapes names and values for XML attributes', () => {
    const xml = twimlFor({ streamUrl: 'wss://h/twilio/a', parameters: { 'a&b': `<"it's">`, note: 'line 1\nline 2\ttab' } });
    expect(xml).toContain('<Parameter name="a&amp;b" value="&lt;&quot;it&apos;s&quot;&gt;"/>');
    expect(xml).toContain('<Parameter name="note" value="line 1&#10;line 2&#9;tab"/>');
    expect(escapeXml('a & b')).toBe('a &amp; b');
  });

  it('with no parameters, an empty stream element', () => {
    expect(twimlFor({ streamUrl: 'wss://h/twilio/a' })).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://h/twilio/a"></Stream></Connect></Response>');
  });

  it('skips, with a reason, what Twilio or XML cannot carry', () => {
    const skipped: Array<{ name: string; reason: string }> = [];
    const xml = twimlFor({
      streamUrl: 'wss://h/twilio/a',
      parameters: { ok: 'yes', long: 'x'.repeat(497), fits: 'y'.repeat(496), '': 'nameless', control: 'bell\u0007', repeated: ['first', 'second'] },
      onSkipped: (entry) => skipped.push(entry),
    });
    expect(xml).toContain('<Parameter name="ok" value="yes"/>');
    expect(xml).toContain(`<Parameter name="fits" value="${'y'.repeat(496)}"/>`); // 4 + 496 = 500: allowed
    expect(xml).toContain('<Parameter name="repeated" value="first"/>');
    expect(xml).not.toContain('second');
    expect(skipped).toEqual([
      { name: 'long', reason: 'name and value are 501 characters; Twilio allows 500' },
      { name: '', reason: 'empty name' },
      { name: 'control', reason: 'contains characters XML cannot carry' },
      { name: 'repeated', reason: expect.stringContaining('repeated name') },
    ]);
    expect(streamParameters({ a: '1', b: undefined }).kept).toEqual([['a', '1']]);
  });

  it('refuses a stream URL Twilio cannot use, saying why', () => {
    expect(() => twimlFor({ streamUrl: 'https://h/twilio/a' })).toThrow(/must be a wss:\/\/ URL/);
    expect(() => twimlFor({ streamUrl: 'wss://h/twilio/a?token=1' })).toThrow(/query string/);
    expect(() => twimlFor({ streamUrl: '/twilio/a' })).toThrow(/not a URL/);
  });
});
