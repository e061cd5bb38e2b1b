export { createCallerVoice, callerVoiceFor, type CallerLine, type CallerVoice } from './caller-voice.js';
export {
  DEFAULT_DEAD_AIR_MS,
  evaluateExpectations,
  measureCall,
  percentile,
  responsePercentile,
  type CallMeasurements,
  type CheckResult,
  type HeardSpans,
  type LineOutcome,
  type MeasureOptions,
  type MeasuredBargeIn,
  type MeasuredLine,
  type MeasuredTurn,
} from './measure.js';
export { formatJUnit, formatScenarioReport, formatSummary } from './report.js';
export { findScenarioFiles, runScenarioFiles, type ScenarioRunEntry } from './run-files.js';
export { runScenario, type RunOptions, type ScenarioResult } from './run-scenario.js';
export { loadScenario, type LineNoiseSpec, type Scenario, type ScenarioExpectations, type ScenarioLoadResult, type ScenarioStep, type StepExpectations } from './scenario.js';
export { evaluateStepExpectations, type StepCheckInput } from './step-expectations.js';
export { SimulatedCaller, type CallerActivity, type CallerHooks, type CallerLineOptions, type CallerView } from './simulated-caller.js';
export { chooseLiveProviders, startLiveCall, type LiveCall, type LiveCallOptions, type LiveCallResult, type ProviderChoice } from './live-call.js';
