/**
 * HTTP-date (RFC 9110 §5.6.7): generated as IMF-fixdate; parsed in all three forms a recipient
 * must accept (IMF-fixdate, the obsolete RFC 850 and asctime forms), case-sensitively and without
 * the leniency of `Date.parse`, which reads "1" or "2024" as dates.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const DAY = DAYS.join('|');
const MONTH = MONTHS.join('|');
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
const IMF_FIXDATE = new RegExp(`^(?:${DAY}), (\\d{2}) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^(?:${LONG_DAYS.join('|')}), (\\d{2})-(${MONTH})-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^(?:${DAY}) (${MONTH}) ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

/**
 * The instant (ms since the epoch) an HTTP-date names, or undefined when `value` is not one
 * (including an impossible calendar date or time, and a list of two dates). `now` places a
 * two-digit RFC 850 year: the one with those digits no more than 50 years ahead of now.
 */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  const text = value.replace(/^[ \t]+|[ \t]+$/g, '');
  let match = IMF_FIXDATE.exec(text);
  if (match) {
    const [, day, month, year, h, m, s] = match;
    return instant(Number(year), month!, Number(day), Number(h), Number(m), Number(s));
  }
  match = RFC850_DATE.exec(text);
  if (match) {
    const [, day, month, yy, h, m, s] = match;
    return instant(rfc850Year(Number(yy), now), month!, Number(day), Number(h), Number(m), Number(s));
  }
  match = ASCTIME_DATE.exec(text);
  if (match) {
    const [, month, day, h, m, s, year] = match;
    return instant(Number(year), month!, Number(day!.trim()), Number(h), Number(m), Number(s));
  }
  return undefined;
}

/** `ms` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (sub-second part dropped). */
export function formatHttpDate(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ` +
    `${String(d.getUTCFullYear()).padStart(4, '0')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:` +
    `${two(d.getUTCSeconds())} GMT`
  );
}

/** `ms` truncated to the whole second an HTTP-date can express. */
export function toHttpDatePrecision(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function instant(year: number, monthName: string, day: number, hour: number, minute: number, second: number) {
  const month = (MONTHS as readonly string[]).indexOf(monthName);
  // Second 60 is a leap second (RFC 9110 §5.6.7 allows 23:59:60); it rolls into the next minute.
  if (hour > 23 || minute > 59 || second > 60 || day < 1) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month, day);
  if (date.getUTCMonth() !== month || date.getUTCDate() !== day) return undefined; // 31 Feb and the like
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime();
}

/** RFC 9110 §5.6.7: a two-digit year more than 50 years ahead means the century before. */
function rfc850Year(yy: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  const past = current - ((((current - yy) % 100) + 100) % 100);
  return past + 100 <= current + 50 ? past + 100 : past;
}
