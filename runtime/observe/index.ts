/*
 * runtime/observe: what observers of a call share. `callView` folds a call's events into what a screen shows
 * (TUI, playground, `monitor`, metrics).
 */
export { activityOf, callView, foldEvents, initialCallView } from './call-view.js';
export type { CallViewOptions } from './call-view.js';
export { providerMetricKey } from './call-view-types.js';
export { conversationLines } from './conversation-types.js';
export type {
  AgentActivity,
  BargeInEntry,
  BargeInReaction,
  CallInfoView,
  CallView,
  DtmfView,
  LevelSample,
  LevelsView,
  ProviderMetricSummary,
  RegionPaths,
  RegionsView,
  SpanName,
  SpanStats,
  TurnRow,
  ViewCursor,
  WaterfallView,
} from './call-view-types.js';
export type { AgentCut, AgentLine, AgentLineStatus, AgentPurpose, CallerDiscardReason, CallerLine, CallerLineStatus, ConversationLine, ConversationView } from './conversation-types.js';
export { percentile, percentileOfSorted, SPAN_NAMES } from './waterfall.js';
