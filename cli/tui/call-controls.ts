/*
 * What the keyboard can do to a call, and how a typed line or key is turned into it: one place for the TUI
 * and `--plain`, so `/cough` means the same in both.
 */

/** The caller's side of a live call, as the TUI drives it (a `LiveCall`, plus quitting). */
export interface CallControls {
  say(text: string): string | undefined;
  backchannel(): { readonly text?: string; readonly refused?: string };
  sound(): string | undefined;
  switchLanguage(to?: string): string;
  hangup(): void;
  /** Ends the call if it runs, writes the record and leaves. */
  quit(): void;
}

/** Runs a typed line: a `/command`, else a caller line. Returns a note for the user, if any. */
export function runLine(line: string, controls: CallControls, onHelp: () => void): string | undefined {
  const text = line.trim();
  if (text === '') return undefined;
  if (!text.startsWith('/')) {
    const refused = controls.say(text);
    return refused ? `not spoken: ${refused}` : undefined;
  }
  const [command = '', argument] = text.slice(1).split(/\s+/, 2);
  switch (command.toLowerCase()) {
    case 'uh-huh':
    case 'b':
    case 'backchannel':
      return backchannel(controls);
    case 'cough':
    case 'c':
      return controls.sound() ?? 'caller coughs';
    case 'lang':
    case 'l':
    case 'language':
      return `caller now speaks ${controls.switchLanguage(argument)}`;
    case 'hangup':
    case 'h':
      controls.hangup();
      return 'caller hung up';
    case 'quit':
    case 'q':
    case 'exit':
      controls.quit();
      return undefined;
    case 'help':
    case '?':
      onHelp();
      return undefined;
    default:
      return `unknown command /${command}: try /uh-huh, /cough, /lang, /hangup, /quit or /help`;
  }
}

/** A backchannel, and the note saying what was said. */
export function backchannel(controls: CallControls): string {
  const said = controls.backchannel();
  return said.refused ? `not spoken: ${said.refused}` : `caller: "${said.text}" (backchannel)`;
}
