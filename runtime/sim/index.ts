export { createCallerVoice, callerVoiceFor, type CallerLine, type CallerVoice } from './caller-voice.js';
export { evaluateExpectations, measureCall, percentile, type CallMeasurements, type CheckResult, type MeasuredBargeIn } from './measure.js';
export { formatJUnit, formatScenarioReport, formatSummary } from './report.js';
export { findScenarioFiles, runScenarioFiles, type ScenarioRunEntry } from './run-files.js';
export { runScenario, type RunOptions, type ScenarioResult } from './run-scenario.js';
export { loadScenario, type Scenario, type ScenarioExpectations, type ScenarioLoadResult, type ScenarioStep } from './scenario.js';
export { SimulatedCaller, type CallerActivity } from './simulated-caller.js';
