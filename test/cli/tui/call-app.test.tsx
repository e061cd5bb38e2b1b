// The whole call screen with a fake caller side: typing and Enter speak a line, a line and Enter arriving in one
// chunk (a paste, tmux send-keys) still speak it, `?` on an empty line opens the help, Alt-b sends a backchannel
// and q on an empty line quits.
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { CallApp } from '../../../cli/tui/call-app.js';
import type { CallControls } from '../../../cli/tui/call-controls.js';
import { createViewFeed } from '../../../cli/tui/view-source.js';
import { envelope, ANSWERED } from './call-events.js';

function fakeControls() {
  const said: string[] = [];
  const actions: string[] = [];
  const controls: CallControls = {
    say: (text) => void said.push(text),
    backchannel: () => (actions.push('backchannel'), { text: 'uh-huh' }),
    sound: () => void actions.push('cough'),
    switchLanguage: () => (actions.push('language'), 'fr'),
    hangup: () => void actions.push('hangup'),
    quit: () => void actions.push('quit'),
  };
  return { controls, said, actions };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('the call screen', () => {
  it('speaks typed lines, opens the help, sends a backchannel and quits', async () => {
    const feed = createViewFeed();
    for (const event of envelope(ANSWERED)) feed.push(event);
    const { controls, said, actions } = fakeControls();
    const app = render(<CallApp source={feed} controls={controls} title="voiceagent call" size={{ columns: 160, rows: 50 }} />);
    await tick();
    expect(app.lastFrame()).toContain('voiceagent call · receptionist · dualplex · en');
    expect(app.lastFrame()).toContain('✂');

    for (const ch of 'Hello there') app.stdin.write(ch);
    await tick();
    expect(app.lastFrame()).toContain('> Hello there');
    app.stdin.write('\r');
    await tick();
    app.stdin.write('Can I book?\r');
    await tick();
    expect(said).toEqual(['Hello there', 'Can I book?']);

    app.stdin.write('?');
    await tick();
    expect(app.lastFrame()).toContain('KEYS');
    app.stdin.write('\u001bb');
    await tick();
    expect(actions).toContain('backchannel');
    expect(app.lastFrame()).toContain('caller: "uh-huh" (backchannel)');
    app.stdin.write('q');
    await tick();
    expect(actions).toContain('quit');
    app.unmount();
  });
});
