/**
 * Twilio request signatures (`X-Twilio-Signature`), checked as twilio-node's `src/webhooks/webhooks.ts` does:
 * base64(HMAC-SHA1(auth token, URL + each parameter's name and value, sorted by name)).
 *
 * - A form POST signs the full URL (query string included) plus the POST parameters; a GET signs the URL alone
 *   (its parameters are in the query string, the parameter set is empty).
 * - Twilio's back end is not consistent about ports and query escaping, so a signature is accepted for the URL
 *   without its port, with the scheme's standard port, and each of those with the query re-encoded the legacy
 *   way (`querystring`, which leaves `'` unescaped where `URL` writes `%27`), as twilio-node does.
 * - The Media Streams WebSocket upgrade is signed like a GET of the `wss://host/path` URL Twilio connected to
 *   (Twilio allows no query string in a stream URL), with no parameters.
 * - A JSON body is signed through a `bodySHA256` query parameter (hex SHA-256 of the body) with no parameters.
 *
 * Behind a proxy the URL Twilio signed is the public one, not the one the server sees: rebuild it with
 * {@link publicRequestUrl}. Comparisons are constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse, stringify } from 'node:querystring';

/** Signed parameters: a form body or query as `URLSearchParams`, or a record (a repeated name as an array). */
export type SignedParameters = URLSearchParams | Readonly<Record<string, string | readonly string[] | undefined>>;

/** The header Twilio signs its requests with. */
export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** The signature Twilio sends for a request to `url` with `params` (twilio-node `getExpectedTwilioSignature`). */
export function twilioSignature(authToken: string, url: string, params: SignedParameters = {}): string {
  const values = valuesByName(params);
  let data = url;
  for (const name of [...values.keys()].sort()) {
    // A repeated name signs each distinct value, in sorted order.
    for (const value of [...new Set(values.get(name))].sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/**
 * True when `signatureHeader` is Twilio's signature of a request to `url` with `params` (form POST parameters;
 * none for a GET), for any of the URL forms Twilio may have signed. False for a missing header or an empty token.
 */
export function validateTwilioSignature(authToken: string, signatureHeader: string | readonly string[] | undefined, url: string, params: SignedParameters = {}): boolean {
  const header = typeof signatureHeader === 'string' ? signatureHeader : undefined;
  if (!authToken || !header) return false;
  let valid = false;
  // Every form is checked (no early exit), so the time taken does not tell which one matched.
  for (const candidate of twilioUrlVariants(url)) valid = constantTimeEqual(header, twilioSignature(authToken, candidate, params)) || valid;
  return valid;
}

/** True when the Media Streams WebSocket upgrade to `url` (`wss://host/path`, public form) carries Twilio's signature. */
export function validateTwilioUpgrade(authToken: string, signatureHeader: string | readonly string[] | undefined, url: string): boolean {
  return validateTwilioSignature(authToken, signatureHeader, url, {});
}

/** True for a JSON-bodied Twilio request: the URL (with its `bodySHA256`) is signed and the body matches the hash. */
export function validateTwilioJsonRequest(authToken: string, signatureHeader: string | readonly string[] | undefined, url: string, body: string): boolean {
  let bodyHash: string | null;
  try {
    bodyHash = new URL(url).searchParams.get('bodySHA256');
  } catch {
    return false;
  }
  const expected = createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex');
  const bodyMatches = constantTimeEqual(bodyHash ?? '', expected);
  return validateTwilioSignature(authToken, signatureHeader, url, {}) && bodyMatches;
}

/**
 * The URL forms a Twilio signature may cover, as twilio-node tries them: as given, without the port, with the
 * scheme's standard port (443 for `https`/`wss`, 80 otherwise), and those two with the legacy query encoding.
 */
export function twilioUrlVariants(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const withoutPort = removePort(parsed);
  const withPort = addPort(parsed);
  return [...new Set([url, withoutPort, withPort, legacyQuery(withoutPort), legacyQuery(withPort)])];
}

/**
 * The URL Twilio used for a request the server received as `requestTarget` (path and query), given the server's
 * public base URL (`--public-url`, e.g. `https://voice.example.com`, maybe with a path prefix the proxy strips).
 * `kind: 'websocket'` gives the `wss://` (or `ws://`) form a stream upgrade is signed with.
 */
export function publicRequestUrl(publicUrl: string, requestTarget: string, kind: 'http' | 'websocket' = 'http'): string {
  const base = new URL(publicUrl);
  const secure = base.protocol === 'https:' || base.protocol === 'wss:';
  const scheme = kind === 'websocket' ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  const prefix = base.pathname.replace(/\/+$/, '');
  const target = requestTarget.startsWith('/') ? requestTarget : `/${requestTarget}`;
  return `${scheme}//${base.host}${prefix}${target}`;
}

function valuesByName(params: SignedParameters): Map<string, string[]> {
  const values = new Map<string, string[]>();
  const add = (name: string, value: string): void => {
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  };
  if (params instanceof URLSearchParams) {
    for (const [name, value] of params) add(name, value);
    return values;
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (typeof value === 'string') add(name, value);
    else for (const each of value) add(name, each);
  }
  return values;
}

function removePort(url: URL): string {
  const copy = new URL(url);
  copy.port = '';
  return copy.toString();
}

function addPort(url: URL): string {
  if (url.port) return url.toString();
  const port = url.protocol === 'https:' || url.protocol === 'wss:' ? 443 : 80;
  const auth = url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${auth}${url.host}:${port}${url.pathname}${url.search}${url.hash}`;
}

/** The query re-encoded with `querystring` (twilio-node `withLegacyQuerystring`). */
function legacyQuery(url: string): string {
  const parsed = new URL(url);
  if (!parsed.search) return url;
  const query = parse(parsed.search.slice(1));
  parsed.search = '';
  return `${parsed.toString()}?${stringify(query)}`;
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  // Lengths are not secret (a SHA-1 signature is always 28 characters); only equal lengths can be compared.
  return left.length === right.length && timingSafeEqual(left, right);
}
