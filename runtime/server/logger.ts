/** Structured fields of a log line (the call id on every line about a call). */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

/** Structured JSON logs: one object per line, `{ time, level, msg, ...fields }`. */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ callId, agent }`). */
  with(fields: LogFields): Logger;
}

/** A logger writing JSON lines to `write` (default: stderr, so stdout stays for the `listening` line). */
export function createLogger(write: (line: string) => void = (line) => process.stderr.write(line), base: LogFields = {}): Logger {
  const log = (level: string, msg: string, fields?: LogFields) => {
    try {
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...fields }) + '\n');
    } catch {
      // A closed log stream must not take calls down.
    }
  };
  return {
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    with: (fields) => createLogger(write, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, with: () => silentLogger };
