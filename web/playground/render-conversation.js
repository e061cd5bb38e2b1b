import { formatCallTime, formatMs, h } from './dom.js';

/*
 * The conversation pane: one item per line of `callView`'s conversation. Lines are immutable objects in the
 * view, so an item is rebuilt only when its line object changed (a long call costs the lines that move).
 * Agent lines show what the caller heard in full and the rest dimmed while it plays; a cut line shows the cut
 * point and the unheard rest struck out, as the agent's context keeps only the heard part.
 */

const PURPOSE_LABELS = { greeting: 'greeting', reprompt: 'reprompt', goodbye: 'goodbye', unavailable: 'fallback' };
const DISCARD_LABELS = { backchannel: 'backchannel: not an interruption', 'no-words': 'no words: noise', 'not-a-turn': 'not a turn' };
/** Below this recogniser confidence a word is marked uncertain. */
const UNSURE_CONFIDENCE = 0.6;

/** Keeps the list in step with the view. */
export function createConversationPane(list) {
  /** @type {Map<number, { line: object, item: HTMLElement }>} */
  const items = new Map();
  let placeholder = list.querySelector('.placeholder');
  return {
    render(lines) {
      if (lines.length > 0 && placeholder) {
        placeholder.remove();
        placeholder = null;
      }
      let appended = false;
      for (const line of lines) {
        const known = items.get(line.id);
        if (known && known.line === line) continue;
        const item = line.role === 'agent' ? agentItem(line) : callerItem(line);
        if (known) known.item.replaceWith(item);
        else {
          list.append(item);
          appended = true;
        }
        items.set(line.id, { line, item });
      }
      if (appended) list.scrollTop = list.scrollHeight;
    },
  };
}

function callerItem(line) {
  const status = line.status;
  const text = h('p', { class: 'text' });
  if (line.words.length > 0 && status !== 'committed') {
    line.words.forEach((word, i) => {
      if (i > 0) text.append(' ');
      const unsure = typeof word.confidence === 'number' && word.confidence < UNSURE_CONFIDENCE;
      text.append(unsure ? h('span', { class: 'unsure', title: `confidence ${word.confidence.toFixed(2)}` }, word.text) : word.text);
    });
  } else text.append(line.text || '…');
  const tags = [];
  if (status === 'partial') tags.push(h('span', { class: 'tag' }, 'hearing…'));
  if (status === 'committed' && line.turnIndex !== undefined) tags.push(h('span', { class: 'tag' }, `turn ${line.turnIndex}`));
  if (status === 'discarded') tags.push(h('span', { class: `tag discard ${line.discardedAs ?? ''}` }, DISCARD_LABELS[line.discardedAs] ?? 'discarded'));
  return h('li', { class: 'line caller', 'data-status': status, 'data-id': line.id }, h('div', { class: 'meta' }, h('span', { class: 'who' }, 'Caller'), h('span', { class: 'at' }, formatCallTime(line.atMs)), ...tags), text);
}

function agentItem(line) {
  const text = h('p', { class: 'text' });
  const tags = [];
  if (line.purpose && PURPOSE_LABELS[line.purpose]) tags.push(h('span', { class: 'tag' }, PURPOSE_LABELS[line.purpose]));
  if (line.cut) {
    const { cut } = line;
    text.append(h('span', { class: 'heard' }, cut.heardText));
    text.append(h('span', { class: 'cut-mark', title: `cut ${cut.heardMs !== undefined ? `after ${formatMs(cut.heardMs)} of audio` : ''}: the caller heard up to here` }, '✂'));
    if (cut.unheardText) text.append(h('s', { class: 'unheard', title: 'generated, never heard: not in the agent\u2019s context' }, cut.unheardText));
    tags.push(h('span', { class: 'tag cut' }, `cut by ${cut.by} at ${formatCallTime(cut.atMs)}`));
  } else if (line.status === 'unspoken') {
    text.append(h('s', { class: 'unheard' }, line.text));
    tags.push(h('span', { class: 'tag cut' }, 'never heard'));
  } else if (line.status === 'done') {
    text.append(h('span', { class: 'heard' }, line.text));
  } else {
    const heard = line.text.slice(0, line.heardChars);
    text.append(h('span', { class: 'heard' }, heard), h('span', { class: 'pending' }, line.text.slice(heard.length) || (line.status === 'generating' ? '…' : '')));
    tags.push(h('span', { class: 'tag live' }, line.status === 'generating' ? 'thinking…' : 'speaking'));
  }
  return h('li', { class: 'line agent', 'data-status': line.status, 'data-id': line.id }, h('div', { class: 'meta' }, h('span', { class: 'who' }, 'Agent'), h('span', { class: 'at' }, formatCallTime(line.atMs)), ...tags), text);
}
