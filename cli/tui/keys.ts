/*
 * The keyboard of `voiceagent call`, in one table: the `?` help, `--help` and the hints read it.
 */

/** A keyboard: key, its /command (if any), what it does. */
export type KeyTable = ReadonlyArray<readonly [key: string, command: string, what: string]>;

/** The keys of `voiceagent call`, as `?` shows them and `--help` prints them. */
export const CALL_KEYS: KeyTable = [
  ['Enter', '', 'speak the typed line as the caller (typing while the agent talks interrupts it)'],
  ['Alt-b', '/uh-huh', 'a backchannel ("uh-huh" in the call\'s language): should never interrupt'],
  ['Alt-c', '/cough', 'a cough into the line: should pause the agent at most'],
  ['Alt-l', '/lang [xx]', 'switch the language the caller speaks (the agent\'s languages in turn)'],
  ['Alt-h', '/hangup', 'the caller hangs up (the screen stays; q quits)'],
  ['?', '/help', 'this help (on an empty line)'],
  ['q, Ctrl-C', '/quit', 'quit: hang up, write the record, exit (q on an empty line)'],
  ['Esc', '', 'clear the line, close this help'],
];

/** The keys of `voiceagent monitor`. */
export const MONITOR_KEYS: KeyTable = [
  ['↑/↓', '', 'move the cursor in the list of calls'],
  ['1-9', '', 'follow the call with that number'],
  ['Enter', '', 'follow the call under the cursor (new calls are then no longer followed by themselves)'],
  ['?', '', 'this help'],
  ['q, Ctrl-C', '', 'quit (the calls go on: the monitor only watches)'],
  ['Esc', '', 'close this help'],
];
