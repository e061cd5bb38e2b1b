/**
 * Twilio Media Streams: the pieces `voiceagent serve` mounts for `WS /twilio/:agent` and
 * `GET|POST /twilio/:agent/twiml`. The transport wraps the socket Twilio opens; the TwiML answers the voice
 * webhook; the signature checks guard both (webhook and WebSocket upgrade).
 */
export { createTwilioTransport } from './twilio-transport.js';
export { TWILIO_MAX_MESSAGE_BYTES } from './twilio-socket.js';
export type { TwilioTransport, TwilioTransportOptions, TwilioTransportStats } from './twilio-transport.js';
export type { TwilioSocket, TwilioSocketData } from './twilio-socket.js';
export type { TwilioMediaFormat, TwilioStreamStart } from './messages.js';
export { TWILIO_SAMPLE_RATE } from './inbound-audio.js';
export { escapeXml, streamParameters, twimlFor, TWILIO_MAX_PARAMETER_CHARS } from './twiml.js';
export type { SkippedParameter, TwimlOptions, WebhookParameters } from './twiml.js';
export { publicRequestUrl, twilioSignature, twilioUrlVariants, validateTwilioJsonRequest, validateTwilioSignature, validateTwilioUpgrade, TWILIO_SIGNATURE_HEADER } from './signature.js';
export type { SignedParameters } from './signature.js';
