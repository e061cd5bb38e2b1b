/**
 * A formatter of epoch milliseconds as ISO 8601 (`Date.prototype.toISOString`'s exact output, for times in
 * years 0-9999) that caches the date-and-minute part: call events are stamped many times a second per call,
 * and `new Date(ms).toISOString()` costs about 1 µs where the cached path costs a string join.
 */
export function createIsoFormatter(): (epochMs: number) => string {
  let minute = Number.NaN;
  let prefix = '';
  return (epochMs) => {
    const ms = Math.trunc(epochMs);
    const atMinute = Math.floor(ms / 60_000);
    if (atMinute !== minute) {
      minute = atMinute;
      prefix = new Date(atMinute * 60_000).toISOString().slice(0, 17); // 'YYYY-MM-DDTHH:MM:'
    }
    const rest = ms - atMinute * 60_000;
    const seconds = Math.floor(rest / 1000);
    const millis = rest - seconds * 1000;
    return `${prefix}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  };
}
