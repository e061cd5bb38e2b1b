import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRecord } from '../call/call-record.js';
import type { CallEvent } from '../call/events.js';

/**
 * The server's Prometheus metrics (prom-client), one registry per process; with `--workers` the primary sums
 * the workers' registries (see `cluster.ts`). Names follow Prometheus conventions: seconds, `_total` counters.
 */
export interface ServerMetrics {
  readonly registry: Registry;
  /** A call started on `agent`. */
  callStarted(agent: string): void;
  /** Every event of a call: latencies, barge-ins and failures are counted from them. */
  observe(agent: string, event: CallEvent): void;
  /** A call ended with its record. */
  callEnded(agent: string, record: CallRecord): void;
  /** An outbound frame went out later than its 20 ms slot (by more than 10 ms). */
  lateFrame(agent: string): void;
  /** A malformed or hostile message on a call socket (the call goes on when it can). */
  protocolError(endpoint: string): void;
}

const LATENCY_BUCKETS_S = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10];
const REACTION_BUCKETS_S = [0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 1];

/**
 * Creates the metrics of one process; `defaults` adds Node's own (event-loop lag, memory, CPU). A cluster
 * worker passes prom-client's global registry, which the primary's AggregatorRegistry sums.
 */
export function createServerMetrics(options: { readonly defaults?: boolean; readonly registry?: Registry } = {}): ServerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'voiceagent_', eventLoopMonitoringPrecision: 10 });
  const active = new Gauge({ name: 'voiceagent_calls_active', help: 'Calls in progress, by agent.', labelNames: ['agent'], registers: [registry], aggregator: 'sum' });
  const total = new Counter({ name: 'voiceagent_calls_total', help: 'Calls ended, by agent and end reason.', labelNames: ['agent', 'end_reason'], registers: [registry] });
  const response = new Histogram({
    name: 'voiceagent_response_latency_seconds',
    help: "Caller's end of speech to the agent's first audio out, per answered turn.",
    labelNames: ['agent'],
    buckets: LATENCY_BUCKETS_S,
    registers: [registry],
  });
  const reaction = new Histogram({
    name: 'voiceagent_bargein_reaction_seconds',
    help: 'Caller speech onset to playout reacting (paused, ducked), per barge-in.',
    labelNames: ['agent'],
    buckets: REACTION_BUCKETS_S,
    registers: [registry],
  });
  const falseBargeIns = new Counter({ name: 'voiceagent_false_bargeins_total', help: 'Barge-ins resumed as false (noise, echo) or dismissed, by agent.', labelNames: ['agent'], registers: [registry] });
  const providerErrors = new Counter({ name: 'voiceagent_provider_errors_total', help: 'Failures recorded in calls, by source (stt, llm, tts, reply, watchdog, transport, runtime, providers).', labelNames: ['source'], registers: [registry] });
  const late = new Counter({ name: 'voiceagent_late_outbound_frames_total', help: 'Outbound 20 ms frames sent more than 10 ms after their slot, by agent.', labelNames: ['agent'], registers: [registry] });
  const protocol = new Counter({ name: 'voiceagent_protocol_errors_total', help: 'Malformed or hostile messages on call sockets, by endpoint.', labelNames: ['endpoint'], registers: [registry] });
  return {
    registry,
    callStarted: (agent) => active.inc({ agent }),
    observe(agent, event) {
      if (event.type === 'turn' && event.record.spans.responseMs !== undefined && event.record.outcome === 'answered') response.observe({ agent }, event.record.spans.responseMs / 1000);
      else if (event.type === 'barge-in') {
        if ((event.decision === 'paused' || event.decision === 'ducked') && event.record.reactionMs !== undefined) reaction.observe({ agent }, event.record.reactionMs / 1000);
        if ((event.decision === 'resumed' && event.record.kind === 'false') || (event.decision as string) === 'dismissed') falseBargeIns.inc({ agent });
      } else if (event.type === 'failure') providerErrors.inc({ source: event.failure.source });
    },
    callEnded(agent, record) {
      active.dec({ agent });
      total.inc({ agent, end_reason: record.endReason ?? 'unknown' });
    },
    lateFrame: (agent) => late.inc({ agent }),
    protocolError: (endpoint) => protocol.inc({ endpoint }),
  };
}
