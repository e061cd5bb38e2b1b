/**
 * The TwiML that connects a Twilio call to our Media Streams endpoint:
 * `<Response><Connect><Stream url="wss://…"><Parameter name="…" value="…"/></Stream></Connect></Response>`.
 *
 * Every parameter of the webhook request (query string and POST form) is passed on as a `<Parameter>`, so the
 * call (and its record) sees them in Twilio's `start.customParameters`: Twilio does not allow a query string
 * in the stream URL, custom parameters are the way. A parameter Twilio or XML cannot carry is skipped with a
 * reason rather than truncated (half a value is a wrong value): a name and value longer than 500 characters
 * together (Twilio's limit on a custom parameter), an empty name, characters XML 1.0 cannot hold, a repeated name.
 */

/** Longest name + value of one custom parameter, characters (Twilio's limit for `<Stream>` `<Parameter>`s). */
export const TWILIO_MAX_PARAMETER_CHARS = 500;

/** Parameters as a webhook gives them: a `URLSearchParams` (query or form body), or a record (repeated names as arrays). */
export type WebhookParameters = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A parameter left out of the TwiML, and why. */
export interface SkippedParameter {
  readonly name: string;
  readonly reason: string;
}

/** Options of {@link twimlFor}. */
export interface TwimlOptions {
  /** The public WebSocket URL of the stream endpoint, `wss://host/twilio/AGENT` (`ws://` only for local tests). */
  readonly streamUrl: string;
  /** The webhook's parameters, passed on as `<Parameter>`s. */
  readonly parameters?: WebhookParameters;
  /** Told about each parameter left out (the server logs it). */
  readonly onSkipped?: (skipped: SkippedParameter) => void;
}

/**
 * The TwiML document answering Twilio's voice webhook. Throws when `streamUrl` is not a `wss://` (or `ws://`)
 * URL, or carries a query string, which Twilio does not support in a stream URL.
 */
export function twimlFor(options: TwimlOptions): string {
  const url = checkStreamUrl(options.streamUrl);
  const { kept, skipped } = streamParameters(options.parameters ?? {});
  for (const entry of skipped) options.onSkipped?.(entry);
  const parameters = kept.map(([name, value]) => `<Parameter name="${escapeXml(name)}" value="${escapeXml(value)}"/>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="${escapeXml(url)}">${parameters}</Stream></Connect></Response>`;
}

/** Which webhook parameters can be passed on as `<Parameter>`s, in order, and which are skipped (with why). */
export function streamParameters(parameters: WebhookParameters): { readonly kept: ReadonlyArray<readonly [string, string]>; readonly skipped: readonly SkippedParameter[] } {
  const kept: Array<readonly [string, string]> = [];
  const skipped: SkippedParameter[] = [];
  const seen = new Set<string>();
  for (const [name, value] of entriesOf(parameters)) {
    const reason = whyNot(name, value, seen);
    if (reason) skipped.push({ name, reason });
    else kept.push([name, value]);
    seen.add(name);
  }
  return { kept, skipped };
}

/** Escapes text for an XML attribute value (newlines and tabs too: a parser would turn them into spaces). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\t\n\r]/g, (ch) => XML_ESCAPES[ch]!);
}

const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and unpaired surrogates, even escaped.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function whyNot(name: string, value: string, seen: ReadonlySet<string>): string | undefined {
  if (name === '') return 'empty name';
  if (seen.has(name)) return 'repeated name (Twilio custom parameters are one value per name): the first is kept';
  if (name.length + value.length > TWILIO_MAX_PARAMETER_CHARS) return `name and value are ${name.length + value.length} characters; Twilio allows ${TWILIO_MAX_PARAMETER_CHARS}`;
  if (NOT_XML.test(name) || NOT_XML.test(value)) return 'contains characters XML cannot carry';
  return undefined;
}

function* entriesOf(parameters: WebhookParameters): Iterable<readonly [string, string]> {
  if (parameters instanceof URLSearchParams) {
    yield* parameters.entries();
    return;
  }
  for (const [name, value] of Object.entries(parameters)) {
    if (value === undefined) continue;
    if (typeof value === 'string') yield [name, value];
    else for (const each of value) yield [name, each];
  }
}

function checkStreamUrl(streamUrl: string): string {
  let url: URL;
  try {
    url = new URL(streamUrl);
  } catch {
    throw new Error(`twimlFor: streamUrl ${JSON.stringify(streamUrl)} is not a URL; pass the public wss:// URL of the stream endpoint (see --public-url)`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') throw new Error(`twimlFor: streamUrl ${streamUrl} must be a wss:// URL (Twilio connects to secure WebSockets only)`);
  if (url.search !== '' || streamUrl.includes('?')) throw new Error(`twimlFor: streamUrl ${streamUrl} has a query string, which Twilio does not support in a stream URL; pass values as parameters`);
  return streamUrl;
}
