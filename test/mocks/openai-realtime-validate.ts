/**
 * Validation of OpenAI Realtime GA client events, for the mock server: the type must be a GA client event,
 * every field must be one the GA API knows, with the right type (shapes from openai-node v6
 * `src/resources/realtime/realtime.ts`). Each problem is one line naming the field.
 */

type Check = (value: unknown, path: string, out: string[]) => void;

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value);

const any: Check = () => {};
const str: Check = (v, p, o) => {
  if (typeof v !== 'string') o.push(`${p}: expected a string, got ${describe(v)}`);
};
const bool: Check = (v, p, o) => {
  if (typeof v !== 'boolean') o.push(`${p}: expected a boolean, got ${describe(v)}`);
};
const num =
  (min = -Infinity, max = Infinity): Check =>
  (v, p, o) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) o.push(`${p}: expected a number, got ${describe(v)}`);
    else if (v < min || v > max) o.push(`${p}: ${v} is outside ${min}..${max}`);
  };
const int =
  (min = -Infinity): Check =>
  (v, p, o) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) o.push(`${p}: expected an integer, got ${JSON.stringify(v)}`);
    else if (v < min) o.push(`${p}: ${v} is below ${min}`);
  };
const oneOf =
  (...values: unknown[]): Check =>
  (v, p, o) => {
    if (!values.includes(v)) o.push(`${p}: ${JSON.stringify(v)} is not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
  };
const nullable =
  (check: Check): Check =>
  (v, p, o) => {
    if (v !== null) check(v, p, o);
  };
const either =
  (...checks: Check[]): Check =>
  (v, p, o) => {
    const attempts = checks.map((check) => {
      const problems: string[] = [];
      check(v, p, problems);
      return problems;
    });
    if (attempts.every((problems) => problems.length > 0)) o.push(...attempts[0]!);
  };
const arr =
  (item: Check, { min = 0, max = Infinity } = {}): Check =>
  (v, p, o) => {
    if (!Array.isArray(v)) return void o.push(`${p}: expected an array, got ${describe(v)}`);
    if (v.length < min || v.length > max) o.push(`${p}: ${v.length} entries, expected ${min}..${max === Infinity ? 'any' : max}`);
    v.forEach((entry, index) => item(entry, `${p}[${index}]`, o));
  };
const obj =
  (fields: Record<string, Check>, required: readonly string[] = []): Check =>
  (v, p, o) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return void o.push(`${p}: expected an object, got ${describe(v)}`);
    const record = v as Record<string, unknown>;
    for (const key of required) if (record[key] === undefined) o.push(`${p}.${key}: required`);
    for (const [key, value] of Object.entries(record)) {
      const check = fields[key];
      if (!check) o.push(`${p}.${key}: unknown field`);
      else if (value !== undefined) check(value, `${p}.${key}`, o);
    }
  };
const byType =
  (variants: Record<string, Check>): Check =>
  (v, p, o) => {
    const type = (v as { type?: unknown } | null)?.type;
    const variant = typeof type === 'string' ? variants[type] : undefined;
    if (!variant) o.push(`${p}.type: ${JSON.stringify(type)} is not one of ${Object.keys(variants).join(', ')}`);
    else variant(v, p, o);
  };

const eventId = str;
const base64: Check = (v, p, o) => {
  if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) o.push(`${p}: not base64 text`);
};
const isoLanguage: Check = (v, p, o) => {
  if (typeof v !== 'string' || !/^[a-z]{2,3}$/.test(v)) o.push(`${p}: ${JSON.stringify(v)} is not an ISO-639-1 code such as "en"`);
};

const format = byType({
  'audio/pcm': obj({ type: any, rate: oneOf(24000) }, ['type']),
  'audio/pcmu': obj({ type: any }, ['type']),
  'audio/pcma': obj({ type: any }, ['type']),
});
const transcription = obj({ model: str, language: isoLanguage, prompt: str, delay: oneOf('minimal', 'low', 'medium', 'high', 'xhigh') }, ['model']);
const noiseReduction = nullable(obj({ type: oneOf('near_field', 'far_field') }, ['type']));
const serverVad = obj({
  type: any,
  threshold: num(0, 1),
  prefix_padding_ms: int(0),
  silence_duration_ms: int(0),
  create_response: bool,
  interrupt_response: bool,
  idle_timeout_ms: nullable(int(0)),
});
const semanticVad = obj({ type: any, eagerness: oneOf('low', 'medium', 'high', 'auto'), create_response: bool, interrupt_response: bool });
const turnDetection = nullable(byType({ server_vad: serverVad, semantic_vad: semanticVad }));
const include = arr(oneOf('item.input_audio_transcription.logprobs'));
const maxTokens = either(int(1), oneOf('inf'));
const metadata = nullable((v, p, o) => {
  // Keys are free: at most 16 of them, strings of up to 64 characters, values up to 512.
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return void o.push(`${p}: expected an object, got ${describe(v)}`);
  if (Object.keys(v).length > 16) o.push(`${p}: more than 16 keys`);
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== 'string' || value.length > 512 || key.length > 64) o.push(`${p}.${key}: metadata values are strings up to 512 characters, keys up to 64`);
  }
});

const realtimeSession = obj(
  {
    type: oneOf('realtime'),
    model: str,
    output_modalities: arr(oneOf('text', 'audio'), { min: 1, max: 1 }),
    instructions: str,
    audio: obj({
      input: obj({ format, transcription: nullable(transcription), noise_reduction: noiseReduction, turn_detection: turnDetection }),
      output: obj({ format, voice: either(str, obj({ id: str }, ['id'])), speed: num(0.25, 1.5) }),
    }),
    include,
    tools: arr(any),
    tool_choice: any,
    max_output_tokens: maxTokens,
    tracing: any,
    truncation: any,
    prompt: any,
    parallel_tool_calls: bool,
    reasoning: any,
  },
  ['type'],
);
const transcriptionSession = obj(
  {
    type: oneOf('transcription'),
    audio: obj({ input: obj({ format, transcription, noise_reduction: noiseReduction, turn_detection: turnDetection }) }),
    include,
  },
  ['type'],
);

const part = obj({ type: oneOf('input_text', 'input_audio', 'input_image', 'output_text', 'output_audio'), text: str, audio: base64, transcript: str, image_url: str, detail: any }, ['type']);
const CONTENT_TYPES: Record<string, readonly string[]> = {
  user: ['input_text', 'input_audio', 'input_image'],
  system: ['input_text'],
  assistant: ['output_text', 'output_audio'],
};
const messageItem: Check = (v, p, o) => {
  obj(
    { id: (x, q, out) => (typeof x !== 'string' || x.length > 32 ? out.push(`${q}: item ids are strings of at most 32 characters`) : undefined), type: oneOf('message'), object: oneOf('realtime.item'), status: oneOf('completed', 'incomplete', 'in_progress'), role: oneOf('user', 'assistant', 'system'), content: arr(part, { min: 1 }) },
    ['type', 'role', 'content'],
  )(v, p, o);
  const item = v as { role?: string; content?: Array<{ type?: string; text?: unknown }> };
  const allowed = CONTENT_TYPES[item.role ?? ''] ?? [];
  (Array.isArray(item.content) ? item.content : []).forEach((entry, index) => {
    if (typeof entry?.type === 'string' && !allowed.includes(entry.type)) o.push(`${p}.content[${index}].type: ${entry.type} is not allowed in a ${item.role} message (allowed: ${allowed.join(', ')})`);
    if ((entry?.type === 'input_text' || entry?.type === 'output_text') && typeof entry.text !== 'string') o.push(`${p}.content[${index}].text: required`);
  });
};

const responseParams = obj({
  output_modalities: arr(oneOf('text', 'audio'), { min: 1, max: 1 }),
  instructions: str,
  conversation: str,
  input: arr(any),
  metadata,
  max_output_tokens: maxTokens,
  tools: arr(any),
  tool_choice: any,
  audio: any,
  prompt: any,
  reasoning: any,
  parallel_tool_calls: bool,
});

/** What kind of session the connection is (from the URL): `?model=` realtime, `?intent=transcription`. */
export type MockSessionKind = 'realtime' | 'transcription';

function clientEventChecks(kind: MockSessionKind): Record<string, Check> {
  const plain = obj({ type: any, event_id: eventId }, ['type']);
  return {
    'session.update': obj({ type: any, event_id: eventId, session: kind === 'realtime' ? realtimeSession : transcriptionSession }, ['type', 'session']),
    'input_audio_buffer.append': obj({ type: any, event_id: eventId, audio: base64 }, ['type', 'audio']),
    'input_audio_buffer.commit': plain,
    'input_audio_buffer.clear': plain,
    ...(kind === 'realtime'
      ? {
          'output_audio_buffer.clear': plain,
          'conversation.item.create': obj({ type: any, event_id: eventId, previous_item_id: str, item: messageItem }, ['type', 'item']),
          'conversation.item.truncate': obj({ type: any, event_id: eventId, item_id: str, content_index: int(0), audio_end_ms: int(0) }, ['type', 'item_id', 'content_index', 'audio_end_ms']),
          'conversation.item.delete': obj({ type: any, event_id: eventId, item_id: str }, ['type', 'item_id']),
          'conversation.item.retrieve': obj({ type: any, event_id: eventId, item_id: str }, ['type', 'item_id']),
          'response.create': obj({ type: any, event_id: eventId, response: responseParams }, ['type']),
          'response.cancel': obj({ type: any, event_id: eventId, response_id: str }, ['type']),
        }
      : {}),
  };
}

const BETA_EVENTS = new Set(['transcription_session.update']);

/** Problems with one client event (empty when it is a valid GA event for this kind of session). */
export function validateClientEvent(event: unknown, kind: MockSessionKind): string[] {
  const out: string[] = [];
  const type = (event as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return [`event: no string \`type\` (${JSON.stringify(event)?.slice(0, 80)})`];
  if (BETA_EVENTS.has(type)) return [`${type}: a beta event; GA uses session.update with session.type`];
  const check = clientEventChecks(kind)[type];
  if (!check) return [`${type}: not a GA client event of a ${kind} session`];
  check(event, type, out);
  return out;
}
