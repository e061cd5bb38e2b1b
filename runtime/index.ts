/**
 * voiceagent: declarative full-duplex voice agents. The public API: load and validate agent YAML, compile it
 * to a statechart, prepare an agent once and start calls on it (providers, transport, events, record), run
 * scenario files against it, and watch calls through their events.
 *
 * Everything a program needs is exported here; deep imports are not part of the API. Test doubles (a fake
 * language model, a scripted recogniser, a fake voice, the simulated clock) are in `voiceagent/testing`.
 *
 * @example
 * ```ts
 * import { loadAgent, prepareAgent, startCall, createOfflineProviders, createInProcessTransport, realClock } from 'voiceagent';
 * const loaded = loadAgent({ file: 'agents/receptionist.yaml' });
 * if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
 * const agent = prepareAgent(loaded.spec);
 * const transport = createInProcessTransport({ clock: realClock, sampleRate: 8000 });
 * const call = await startCall({ agent, transport, providers: ({ spec, clock, sampleRate }) => createOfflineProviders(spec, { clock, sampleRate }) });
 * const record = await call.done;
 * ```
 *
 * @packageDocumentation
 */

// ---- agents: YAML -> spec -> statechart -------------------------------------------------------------
export type * from './dsl/agent-spec.js';
export { REALTIME_PROFILE } from './dsl/agent-spec.js';
export { formatDiagnostic, sortDiagnostics, type Diagnostic, type DiagnosticCode } from './dsl/diagnostics.js';
export { loadAgent, type AgentInput, type AgentLoadResult } from './dsl/load-agent.js';
export { routeTurn, type Route, type TurnFacts } from './dsl/routing.js';
export { compileAgent, toMermaid, ROOT_ID } from './compiler/index.js';
export type { CompiledAgent, MachineConfig, StateNodeConfig, TransitionConfig, NamedRef, JsonValue } from './compiler/index.js';

// ---- calls ------------------------------------------------------------------------------------------
export { prepareAgent, createCallSession, statePaths, type PreparedAgent, type CallSession, type CallSessionOptions } from './call/call-session.js';
export { startCall, connectTransport, type Call, type StartCallOptions, type ProvidersSource, type ProviderRequest } from './call/start-call.js';
export type { CallRecord, TurnRecord, TurnSpans, BargeInRecord, CallFailure } from './call/call-record.js';
export type { ConversationEntry } from './call/conversation.js';
export type { CallEvent, CallEventBody, CallEventEnvelope, CallEventOf, CallEventType, EventWord, FailureSource } from './call/events.js';

// ---- providers --------------------------------------------------------------------------------------
export type * from './providers/types.js';
export type { CallProviders } from './providers/call-providers.js';
export { ProviderError, type ProviderErrorKind } from './providers/errors.js';
export type { ProviderMetric, ProviderMetricKind } from './providers/resilient.js';
export { createProviders, type ProviderContext, type RealProviders } from './providers/lazy.js';
export { createOfflineProviders, offlineVoiceFor, createLocalTts, createOfflineLlm, createSimulatedStt } from './providers/local/index.js';
export type { OfflineProviders, OfflineProvidersOptions, LocalTts, LocalTtsOptions, OfflineLlm, SimulatedStt, SimulatedSttOptions } from './providers/local/index.js';
export { createVad, type ClosableVad, type VadEngine, type VadSpec } from './audio/create-vad.js';
export type { Vad } from './audio/vad.js';

// ---- transports -------------------------------------------------------------------------------------
export type { CallTransport, TransportListener, PlayedReport, TransportCloseReason, TransportStartInfo } from './transports/types.js';
export { createInProcessTransport, type RecordingTransport, type RecordingTransportOptions, type SentFrame, type MarkRecord, type ClearRecord } from './transports/in-process.js';
export { createTwilioTransport, twimlFor, twilioSignature, validateTwilioSignature, validateTwilioUpgrade, publicRequestUrl, TWILIO_SAMPLE_RATE } from './transports/twilio/index.js';
export type { TwilioSocket, TwilioTransport, TwilioTransportOptions, TwimlOptions } from './transports/twilio/index.js';
export { createWebSocketTransport, createOfflineSayer, parseCallQuery, WEBSOCKET_SAMPLE_RATES } from './transports/websocket/index.js';
export type { PcmSocket, WebSocketTransport, WebSocketTransportOptions, SayHandler } from './transports/websocket/index.js';

// ---- audio ------------------------------------------------------------------------------------------
export type { Pcm16, CharAlignment } from './audio/media.js';
export { readWav, writeWav, readWavFile, writeWavFile, type WavAudio } from './audio/wav.js';

// ---- scenarios (simulated callers) ------------------------------------------------------------------
export { runScenario, runScenarioFiles, findScenarioFiles, loadScenario, formatScenarioReport, formatSummary, formatJUnit } from './sim/index.js';
export type { RunOptions, ScenarioResult, ScenarioRunEntry, Scenario, ScenarioExpectations, ScenarioStep, CheckResult, CallMeasurements } from './sim/index.js';
export { startLiveCall, chooseLiveProviders, type LiveCall, type LiveCallOptions, type LiveCallResult, type ProviderChoice } from './sim/index.js';

// ---- projects -----------------------------------------------------------------------------------------
export { loadProject, findProjectFile, PROJECT_FILE, type ProjectSpec, type ProjectLoadResult } from './project/load-project.js';
export { validatePaths, type ValidationReport, type FileReport } from './project/validate-paths.js';
export { validateOnline, type ValidateOnlineOptions } from './project/online.js';
export { scaffoldProject, listTemplates, DEFAULT_TEMPLATE, ScaffoldError, type ScaffoldResult, type ScaffoldOptions, type TemplateInfo } from './project/scaffold.js';

// ---- serving calls ------------------------------------------------------------------------------------
export { serve, startServer, AgentCatalogError, ServeError, isLoopbackHost, createLogger, silentLogger } from './server/index.js';
export type { ServeCommandOptions, ServeHandle, AgentEndpoints, RunningServer, ServeOptions, Logger } from './server/index.js';
export { parseAgentCaps, type FleetSettings } from './server/index.js';

// ---- agent registry (versions, activations) ---------------------------------------------------------------
export { RegistryError, DriftError, UnknownAgentError, UnknownVersionError, DEFAULT_ENV, canonicalJson, versionIdOf, isVersionId, createFileRegistry, createRedisRegistry } from './registry/index.js';
export type { Registry, AgentVersion, VersionSummary, Activation, ActivationReason, ActivateOptions, PushInput, GitInfo, RegistryAgent, ActivationListener, RegistryErrorCode, FileRegistryOptions, RedisRegistry, RedisRegistryOptions } from './registry/index.js';

// ---- deploying (admin API client, plans, diffs) -------------------------------------------------------
export { createAdminClient, AdminApiError, type AdminClient, type AdminClientOptions, type AdminErrorCode, type AdminDiagnostic, type AdminAgent, type AgentVersions, type PushRequest, type CallSummary, type CallQuery } from './api/admin-client.js';
export { planDeploy, applyDeploy, planIsEmpty, type DeployPlan, type AgentPlan, type PlanProblem, type PlanDeployOptions, type AgentDeployResult, type ApplyDeployOptions } from './api/deploy.js';
export { resolveDeployTarget, DeployTargetError, type DeployTarget, type DeployTargetInput } from './api/deploy-target.js';
export { findDeployFiles, DeployFilesError } from './api/deploy-files.js';
export { gitFileState, type GitFileState } from './api/git-state.js';
export { diffCharts, formatChartDiff, isEmptyChartDiff, type ChartDiff, type ChartChange } from './api/chart-diff.js';
export { unifiedDiff, type UnifiedDiffOptions } from './api/text-diff.js';
export { connectEventFeed, eventFeedUrl, EventFeedError, type EventFeedClient, type EventFeedClientOptions, type EventFeedHandlers, type EventFeedErrorKind, type FeedCall, type FeedMessage, type FeedConnectionState } from './api/event-feed-client.js';

// ---- time ---------------------------------------------------------------------------------------------
export { realClock, type Clock } from './util/clock.js';
export { packageVersion } from './util/package-root.js';

// ---- observing calls ----------------------------------------------------------------------------------
export * from './observe/index.js';
