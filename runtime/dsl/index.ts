export type * from './agent-spec.js';
export { REALTIME_PROFILE } from './agent-spec.js';
export { formatDiagnostic, sortDiagnostics, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
export { loadAgent, type AgentInput, type AgentLoadResult } from './load-agent.js';
export { localize, systemPromptFor } from './localize.js';
export { conditionHolds, detectIntents, routeTurn, type Route, type TurnFacts } from './routing.js';
export { backchannelsByLanguage, backchannelsFor, BUILT_IN_BACKCHANNELS } from './backchannels.js';
export { containsPhrase, interjectionFirstParts, matchesKeyword, normalizeWords, soundKeys } from './text-match.js';
export { isLiveTranscriptionModel } from './transcription-models.js';
