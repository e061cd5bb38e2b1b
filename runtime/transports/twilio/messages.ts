/**
 * Twilio Media Streams wire messages (bidirectional `<Connect><Stream>`), read safely and written exactly.
 *
 * Inbound, Twilio sends JSON text frames; numbers inside them (`sequenceNumber`, `chunk`, `timestamp`) are
 * strings. {@link parseTwilioMessage} never throws: a message that is not what Twilio sends comes back as an
 * error string for the transport to count and report. Events it does not know come back as `other` (Twilio may
 * add events; the transport ignores them). Outbound, the builders write the three messages a bidirectional
 * stream accepts: `media`, `mark` and `clear`, each with the `streamSid`.
 */

/** The audio format Twilio declares in `start.mediaFormat`. A bidirectional stream is always mu-law 8 kHz mono. */
export interface TwilioMediaFormat {
  readonly encoding: string;
  readonly sampleRate: number;
  readonly channels: number;
}

/** What a Twilio `start` says about the stream. */
export interface TwilioStreamStart {
  readonly streamSid: string;
  readonly callSid?: string;
  readonly accountSid?: string;
  /** Tracks streamed; `["inbound"]` for `<Connect><Stream>`. */
  readonly tracks: readonly string[];
  readonly mediaFormat?: TwilioMediaFormat;
  /** The `<Parameter>`s of the TwiML, as Twilio passes them on. */
  readonly customParameters: Readonly<Record<string, string>>;
}

/** One inbound message, as far as the transport cares. */
export type TwilioInbound =
  | { readonly event: 'connected'; readonly protocol?: string; readonly version?: string }
  | ({ readonly event: 'start' } & TwilioStreamStart)
  | {
      readonly event: 'media';
      /** `inbound` (the caller); absent on some senders. */
      readonly track?: string;
      /** Per-stream sequence number of the chunk (Twilio starts at 1); absent when not a valid integer. */
      readonly chunk?: number;
      /** Stream time of the chunk, ms; absent when not a valid integer. */
      readonly timestamp?: number;
      /** Base64 of mu-law bytes. */
      readonly payload: string;
    }
  | { readonly event: 'mark'; readonly name: string }
  | { readonly event: 'dtmf'; readonly digit: string }
  | { readonly event: 'stop' }
  /** An event the transport does not handle (its name). */
  | { readonly event: 'other'; readonly name: string };

/** {@link parseTwilioMessage}'s answer. */
export type TwilioParseResult = { readonly ok: true; readonly message: TwilioInbound } | { readonly ok: false; readonly error: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const DTMF_DIGIT = /^[0-9*#A-D]$/;
const failed = (error: string): TwilioParseResult => ({ ok: false, error });

/** Reads one text frame from Twilio. Never throws. */
export function parseTwilioMessage(text: string): TwilioParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return failed(`malformed JSON: ${preview(text)}`);
  }
  if (!isObject(data)) return failed(`not a JSON object: ${preview(text)}`);
  const event = data.event;
  if (typeof event !== 'string') return failed(`no "event" name: ${preview(text)}`);
  switch (event) {
    case 'connected':
      return { ok: true, message: { event, ...optionalString('protocol', data.protocol), ...optionalString('version', data.version) } };
    case 'start':
      return parseStart(data);
    case 'media':
      return parseMedia(data);
    case 'mark': {
      const name = isObject(data.mark) ? data.mark.name : undefined;
      return typeof name === 'string' ? { ok: true, message: { event, name } } : failed('mark without a "mark.name" string');
    }
    case 'dtmf': {
      const digit = isObject(data.dtmf) ? data.dtmf.digit : undefined;
      const key = typeof digit === 'string' ? digit.toUpperCase() : undefined;
      return key !== undefined && DTMF_DIGIT.test(key) ? { ok: true, message: { event, digit: key } } : failed(`dtmf with an invalid "dtmf.digit": ${preview(JSON.stringify(digit) ?? 'undefined')}`);
    }
    case 'stop':
      return { ok: true, message: { event } };
    default:
      return { ok: true, message: { event: 'other', name: event } };
  }
}

function parseStart(data: Json): TwilioParseResult {
  const start = isObject(data.start) ? data.start : undefined;
  if (!start) return failed('start without a "start" object');
  const streamSid = typeof start.streamSid === 'string' ? start.streamSid : typeof data.streamSid === 'string' ? data.streamSid : undefined;
  if (!streamSid) return failed('start without a "streamSid"');
  const format = isObject(start.mediaFormat) ? start.mediaFormat : undefined;
  const mediaFormat = format
    ? {
        // A field left out means Twilio's only bidirectional format: mu-law, 8 kHz, mono.
        encoding: format.encoding === undefined ? 'audio/x-mulaw' : String(format.encoding),
        sampleRate: format.sampleRate === undefined ? 8000 : Number(format.sampleRate),
        channels: format.channels === undefined ? 1 : Number(format.channels),
      }
    : undefined;
  const customParameters: Record<string, string> = {};
  if (isObject(start.customParameters)) {
    // Twilio sends strings; anything else is kept as its JSON text rather than lost.
    for (const [name, value] of Object.entries(start.customParameters)) customParameters[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  const tracks = Array.isArray(start.tracks) ? start.tracks.filter((t): t is string => typeof t === 'string') : [];
  return {
    ok: true,
    message: {
      event: 'start',
      streamSid,
      ...optionalString('callSid', start.callSid),
      ...optionalString('accountSid', start.accountSid),
      tracks,
      ...(mediaFormat ? { mediaFormat } : {}),
      customParameters,
    },
  };
}

function parseMedia(data: Json): TwilioParseResult {
  const media = isObject(data.media) ? data.media : undefined;
  if (!media) return failed('media without a "media" object');
  if (typeof media.payload !== 'string') return failed('media without a "media.payload" string');
  const chunk = integerOf(media.chunk);
  const timestamp = integerOf(media.timestamp);
  return {
    ok: true,
    message: {
      event: 'media',
      ...optionalString('track', media.track),
      ...(chunk !== undefined ? { chunk } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      payload: media.payload,
    },
  };
}

/** A non-negative safe integer sent as a string (as Twilio does) or a number. */
function integerOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function optionalString<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' ? { [key]: value } : {}) as { [P in K]?: string };
}

/** The start of a bad message, for a log line (never the whole of a 64 KiB frame). */
export function preview(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}... (${text.length} chars)` : flat;
}

/** `{"event":"media","streamSid","media":{"payload"}}`: one chunk of agent audio (base64 mu-law). */
export function mediaMessage(streamSid: string, payload: string): string {
  return JSON.stringify({ event: 'media', streamSid, media: { payload } });
}

/** `{"event":"mark","streamSid","mark":{"name"}}`: echoed by Twilio once the audio sent before it has played. */
export function markMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

/** `{"event":"clear","streamSid"}`: Twilio drops the audio it holds and echoes every pending mark at once. */
export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
