/*
 * `voiceagent test`'s text report shows what the caller lived: a line never answered is printed as dead air
 * and fails the scenario, the summary counts it, and the waterfall's last column is the latency as heard.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { evaluateExpectations, measureCall } from '../../runtime/sim/measure.js';
import { formatScenarioReport, formatSummary } from '../../runtime/sim/report.js';
import type { ScenarioResult } from '../../runtime/sim/run-scenario.js';
import type { CallerActivity } from '../../runtime/sim/simulated-caller.js';
import { agentAudio, callRecord, resetSteps, say, turn } from './measure-fixtures.js';

/** A scenario result for the call: the caller asks (answered 860 ms later as heard), then says goodbye to silence. */
function result(): ScenarioResult {
  const t = turn(1, 'what are your hours', 3100, { endpointingMs: 300, llmFirstTokenMs: 200, llmRequestToFirstTokenMs: 200, ttsFirstAudioMs: 200, firstFrameOutMs: 0, responseMs: 700 });
  const record = callRecord({ turns: [t] });
  const activities: CallerActivity[] = [say('What are your hours?', 1000, 3000), say('Thanks, bye.', 9000, 10_000)];
  const measurements = measureCall(record, activities, { sent: agentAudio(3860, 6000) }, 0);
  const checks = evaluateExpectations({}, record, measurements);
  return { name: 'hours', file: 'hours.yaml', agent: 'receptionist', passed: checks.every((c) => c.passed), checks, measurements, record, activities, audio: { sampleRate: 8000, caller: new Int16Array(0), agent: new Int16Array(0) }, callMs: 16_000, wallMs: 200 };
}

beforeEach(() => resetSteps());

describe('scenario report', () => {
  it('fails a call with a line never answered and shows it as dead air', () => {
    const r = result();
    expect(r.passed).toBe(false);
    const text = formatScenarioReport(r);
    expect(text).toMatch(/^FAIL {2}hours/);
    expect(text).toContain('✗ every caller line answered within 4000 ms  — dead air: "Thanks, bye." (step 2, ended at 10000 ms): never answered');
    expect(text).toContain('  dead air: "Thanks, bye." (step 2, ended at 10000 ms): never answered');
    expect(text).toContain('response latency as heard p50 860 ms p95 never, dead-air lines 1');
  });

  it('draws the waterfall from the caller\'s speech end to what they heard', () => {
    const lines = formatScenarioReport(result()).split('\n');
    const header = lines.find((l) => l.startsWith('  turns (ms)'))!;
    expect(header.trim().split(/\s{2,}/)).toEqual(['turns (ms)', 'endpoint', 'stt final', 'llm 1st token', 'model ttft', 'tts 1st audio', 'playout', 'heard']);
    const row = lines.find((l) => l.startsWith('  #1'))!;
    // endpoint 400 (the runtime placed the speech end 100 ms late), no stt final, 200, 200, 200, playout 60, heard 860.
    expect(row.replace(/^ {2}#1 +what are you… +/, '').trim().split(/\s+/)).toEqual(['400', '-', '200', '200', '200', '60', '860', 'answered']);
  });

  it('counts dead-air lines in the summary', () => {
    expect(formatSummary([result()])).toBe('0 passed, 1 failed  (false barge-ins 0, missed 0, response as heard p95 never, dead-air lines 1)\n');
  });
});
