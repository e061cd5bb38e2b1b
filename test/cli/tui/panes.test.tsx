// Each pane of `voiceagent call` rendered from a known call's events: the frame text is what a user reads.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { loadAgent, prepareAgent } from '../../../runtime/index.js';
import { BargeInPane } from '../../../cli/tui/barge-in-pane.js';
import { ConversationPane } from '../../../cli/tui/conversation-pane.js';
import { HelpPane } from '../../../cli/tui/help-pane.js';
import { LevelsPane } from '../../../cli/tui/levels-pane.js';
import { RegionsPane, regionStatesOf } from '../../../cli/tui/regions-pane.js';
import { WaterfallPane } from '../../../cli/tui/waterfall-pane.js';
import { ANSWERED, INTERRUPTED, viewOf } from './call-events.js';

const frame = (node: React.ReactElement) => render(node).lastFrame() ?? '';

describe('the statechart pane', () => {
  it('highlights the active state of each region among the chart\'s states', () => {
    const loaded = loadAgent({ file: 'agents/receptionist.yaml' });
    if (!loaded.ok) throw new Error('receptionist is invalid');
    const states = regionStatesOf(prepareAgent(loaded.spec).compiled.machine);
    expect(states.agent).toEqual(['greeting', 'idle', 'closing', 'responding']);
    const text = frame(<RegionsPane view={viewOf(INTERRUPTED.slice(0, 10))} states={states} />);
    expect(text).toContain('PAUSED');
    expect(text).toMatch(/agent\s+greeting\s+idle\s+closing\s+\[responding\.paused\]/);
    expect(text).toMatch(/caller\s+silent\s+\[speaking\]/);
    expect(text).toContain('[en]');
  });

  it('shows the states seen when the chart is unknown (monitor)', () => {
    const text = frame(<RegionsPane view={viewOf(ANSWERED)} />);
    expect(text).toContain('IDLE');
    expect(text).toContain('[idle.attentive]');
  });
});

describe('the conversation pane', () => {
  it('shows the cut point and the unheard rest of an interrupted greeting, and the caller\'s partial with its confidence', () => {
    const text = frame(<ConversationPane view={viewOf(INTERRUPTED)} height={10} width={160} />);
    expect(text).toContain('Thanks for calling Bright Smile ✂ Dental, how can I help you today? (cut by caller at 2.3s)');
    expect(text).toContain('How much … partial conf 0.73');
  });

  it('shows the committed turn, the agent mid-sentence and a backchannel that made no turn', () => {
    const text = frame(<ConversationPane view={viewOf(ANSWERED.slice(0, -2))} height={10} width={160} />);
    expect(text).toContain('How much is a check-up? (turn 1)');
    expect(text).toContain('agent   ▸A check-up and cleaning is ninety-five dollars.');
    expect(text).toContain('uh-huh (backchannel: no turn)');
  });

  it('keeps the newest lines when the pane is short', () => {
    const text = frame(<ConversationPane view={viewOf(ANSWERED)} height={3} width={160} />);
    expect(text).toContain('earlier lines');
    expect(text).not.toContain('Thanks for calling');
  });
});

describe('the latency pane', () => {
  it('shows each step of the turn, the total over a second, and p50/p95 so far', () => {
    const text = frame(<WaterfallPane view={viewOf(ANSWERED)} maxTurns={4} width={120} />);
    expect(text).toMatch(/endpoint\s+stt\s+llm 1st\s+tts 1st\s+frame\s+total/);
    expect(text).toMatch(/#1 How muc…\s+300\s+200\s+200\s+600\s+0\s+1100/);
    expect(text).toMatch(/p50\s+300\s+200\s+200\s+600\s+0\s+1100/);
    expect(text).toMatch(/p95\s+300/);
  });

  it('says so before the first turn', () => {
    expect(frame(<WaterfallPane view={viewOf(INTERRUPTED)} maxTurns={4} width={120} />)).toContain('no turn yet');
  });
});

describe('the barge-in pane', () => {
  it('logs onset, reaction, outcome and cause of each attempt', () => {
    const text = frame(<BargeInPane view={viewOf(ANSWERED)} maxRows={5} width={120} />);
    expect(text).toContain('2 so far');
    expect(text).toMatch(/2\.0s\s+paused 80 ms\s+✂ interrupted 2\.3s\s+words: "How"/);
    expect(text).toMatch(/5\.0s\s+paused 100 ms\s+↺ resumed 5\.4s \(backchannel\)/);
  });
});

describe('the levels pane', () => {
  it('meters the caller in and the agent out', () => {
    const text = frame(<LevelsPane view={viewOf(INTERRUPTED)} width={60} />);
    expect(text).toMatch(/in\s+█+░+ -21 dB/);
    expect(text).toMatch(/out\s+░+ silent/);
  });
});

describe('the help pane', () => {
  it('lists every key', () => {
    const text = frame(<HelpPane height={12} />);
    for (const key of ['Alt-b', 'Alt-c', 'Alt-l', 'Alt-h', '/quit', 'q, Ctrl-C']) expect(text).toContain(key);
  });
});
