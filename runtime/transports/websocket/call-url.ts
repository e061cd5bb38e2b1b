import { DEFAULT_WEBSOCKET_SAMPLE_RATE, WEBSOCKET_SAMPLE_RATES } from './protocol.js';

/**
 * What a connect URL (`/calls/:agent?rate=16000&token=...&anything=else`) asks for. The token is the server's
 * to check (`Authorization: Bearer`, else `?token=`); it is never one of the call's parameters.
 */
export type WebSocketCallQuery =
  | {
      readonly ok: true;
      /** `rate`, Hz; default 16000. */
      readonly sampleRate: number;
      /** Every other query parameter but `token`: the call's custom parameters (in its record). */
      readonly parameters: Readonly<Record<string, string>>;
    }
  | {
      readonly ok: false;
      /** 400: refuse the upgrade with it. */
      readonly status: 400;
      readonly message: string;
    };

/** Query parameters that are the protocol's own, not the call's. */
const RESERVED = new Set(['rate', 'token']);
/** At most this many custom parameters, each at most this long, are kept (the record is not a dumping ground). */
const MAX_PARAMETERS = 32;
const MAX_PARAMETER_CHARS = 256;

/** Reads a connect URL's query. Never throws: a bad `rate` or too many parameters come back as a 400. */
export function parseCallQuery(url: URL): WebSocketCallQuery {
  const rateText = url.searchParams.get('rate');
  const sampleRate = rateText === null ? DEFAULT_WEBSOCKET_SAMPLE_RATE : Number(rateText);
  if (!WEBSOCKET_SAMPLE_RATES.includes(sampleRate)) {
    return { ok: false, status: 400, message: `rate=${rateText?.slice(0, 20)} is not supported; use rate=${WEBSOCKET_SAMPLE_RATES.join(', ')} (Hz) or leave it out for ${DEFAULT_WEBSOCKET_SAMPLE_RATE}` };
  }
  const parameters: Record<string, string> = {};
  let count = 0;
  for (const [name, value] of url.searchParams) {
    if (RESERVED.has(name)) continue;
    if (++count > MAX_PARAMETERS) return { ok: false, status: 400, message: `more than ${MAX_PARAMETERS} query parameters; pass fewer` };
    if (name.length > MAX_PARAMETER_CHARS || value.length > MAX_PARAMETER_CHARS) return { ok: false, status: 400, message: `query parameter ${JSON.stringify(name.slice(0, 40))} is longer than ${MAX_PARAMETER_CHARS} characters` };
    parameters[name] = value;
  }
  return { ok: true, sampleRate, parameters };
}
