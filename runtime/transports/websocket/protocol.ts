/*
 * The native WebSocket call protocol (`WS /calls/:agent`), as data: what a client may send, what the server
 * sends back, and the one parser every text frame goes through. docs/websocket-protocol.md is the reference
 * for client authors; this file is the reference for the server. Binary frames carry PCM16 little-endian mono
 * audio at the call's rate both ways and are not described here.
 */

/** Call sample rates a client may ask for with `?rate=`, Hz. Each one runs the call pipeline natively (no resampling). */
export const WEBSOCKET_SAMPLE_RATES: readonly number[] = [8000, 16000, 24000, 48000];

/** The rate of a call whose URL names none, Hz (wideband: what a browser's speech sounds best at per byte). */
export const DEFAULT_WEBSOCKET_SAMPLE_RATE = 16000;

/** DTMF keys a client may press: `0`-`9`, `*`, `#`, `A`-`D`. */
const DTMF_DIGIT = /^[0-9*#A-D]$/;

/** Longest `say` line, characters (a caller line, not a document). */
export const MAX_SAY_CHARS = 500;

/** A control message from the client (a JSON text frame). */
export type ClientMessage =
  /** The caller hangs up: the call ends with `caller-hangup`, the server answers `ended` and closes. */
  | { readonly type: 'hangup' }
  /** The caller pressed a key. */
  | { readonly type: 'dtmf'; readonly digit: string }
  /** A typed caller line the server speaks into the call with its offline caller voice (offline agents). */
  | { readonly type: 'say'; readonly text: string }
  /**
   * The client's playback reached mark `mark` (sent by the server after audio). `dropped: true`: the mark
   * was still queued when a `clear` arrived, so the audio before it was thrown away, not played.
   */
  | { readonly type: 'played'; readonly mark: string; readonly dropped: boolean };

/** A message the server sends the client (a JSON text frame). */
export type ServerMessage =
  /** A call event (`CallEvent`, JSON-safe): state, transcripts, agent text, heard position, barge-ins, turns. */
  | { readonly type: 'event'; readonly event: unknown }
  /** Tell me when your playback reaches this point (echo `played` with the same name). */
  | { readonly type: 'mark'; readonly name: string }
  /** Drop every queued sample now (a barge-in), and echo each pending mark with `dropped: true`. */
  | { readonly type: 'clear' }
  /** Something the client sent was refused; the call goes on unless the socket is then closed (1008). */
  | { readonly type: 'error'; readonly message: string }
  /** The call is over: its complete record. Always the last message; the server closes next. */
  | { readonly type: 'ended'; readonly record: unknown };

/** A parsed client message, or what was wrong with the text. */
export type ParsedClientMessage = { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly error: string };

/**
 * Parses one text frame. Never throws: malformed JSON, a non-object, an unknown `type` or a bad field all come
 * back as an error that says what to send instead.
 */
export function parseClientMessage(text: string): ParsedClientMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail(`not JSON: ${preview(text)}; send one JSON object per text frame, e.g. {"type":"hangup"}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return fail(`expected a JSON object with a "type", got ${preview(text)}`);
  const fields = data as Record<string, unknown>;
  switch (fields.type) {
    case 'hangup':
      return ok({ type: 'hangup' });
    case 'dtmf': {
      const digit = typeof fields.digit === 'string' ? fields.digit.toUpperCase() : undefined;
      if (digit === undefined || !DTMF_DIGIT.test(digit)) return fail(`dtmf: "digit" must be one of 0-9, *, #, A-D (got ${preview(JSON.stringify(fields.digit) ?? 'nothing')})`);
      return ok({ type: 'dtmf', digit });
    }
    case 'say': {
      const text = typeof fields.text === 'string' ? fields.text.trim() : '';
      if (text === '') return fail('say: "text" must be a non-empty string (the caller line to speak)');
      if (text.length > MAX_SAY_CHARS) return fail(`say: "text" is ${text.length} characters; keep a line under ${MAX_SAY_CHARS}`);
      return ok({ type: 'say', text });
    }
    case 'played': {
      if (typeof fields.mark !== 'string' || fields.mark === '') return fail('played: "mark" must be the name of a mark the server sent');
      if (fields.dropped !== undefined && typeof fields.dropped !== 'boolean') return fail('played: "dropped" must be true or false when given');
      return ok({ type: 'played', mark: fields.mark, dropped: fields.dropped === true });
    }
    default:
      return fail(`unknown message type ${preview(JSON.stringify(fields.type) ?? 'undefined')}; the client may send hangup, dtmf, say and played`);
  }
}

/** The JSON text of a server message. */
export function serverMessageText(message: ServerMessage): string {
  return JSON.stringify(message);
}

function ok(message: ClientMessage): ParsedClientMessage {
  return { ok: true, message };
}

function fail(error: string): ParsedClientMessage {
  return { ok: false, error };
}

/** A short, printable excerpt of what a client sent (it may be hostile: never echo it whole). */
function preview(text: string): string {
  const flat = text.replace(/[\u0000-\u001f]/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 60)}...` : flat;
}
