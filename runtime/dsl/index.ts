export type * from './agent-spec.js';
export { REALTIME_PROFILE } from './agent-spec.js';
export { formatDiagnostic, sortDiagnostics, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
export { loadAgent, type AgentInput, type AgentLoadResult } from './load-agent.js';
