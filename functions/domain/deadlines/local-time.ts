import { DateTime, IANAZone } from 'luxon';

/**
 * Local dates are 'YYYY-MM-DD' strings; their arithmetic runs in UTC so that no clock change can
 * shift a day. Instants go through the tz database of the calendar's zone, never a fixed offset.
 */
const LOCAL_DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;
const LAST_SECOND_OF_DAY = '23:59:59';
const FIRST_SECOND_OF_DAY = '00:00:00';

function asDate(localDate: string): DateTime<true> {
  const date = DateTime.fromISO(localDate, { zone: 'utc' });
  if (!date.isValid || !LOCAL_DATE_PATTERN.test(localDate)) {
    throw new RangeError(`Not a local date (YYYY-MM-DD): ${localDate}`);
  }
  return date;
}

export function isLocalDate(value: string): boolean {
  return LOCAL_DATE_PATTERN.test(value) && DateTime.fromISO(value, { zone: 'utc' }).isValid;
}

export function isTimeZone(name: string): boolean {
  return IANAZone.isValidZone(name);
}

export function addDays(localDate: string, days: number): string {
  return asDate(localDate).plus({ days }).toISODate();
}

/** The same date so many months on, or that month's last day where it has no such date (luxon clamps). */
export function addMonths(localDate: string, months: number): string {
  return asDate(localDate).plus({ months }).toISODate();
}

/** 1 = Monday … 7 = Sunday. */
export function isoWeekday(localDate: string): number {
  return asDate(localDate).weekday;
}

export function yearOf(localDate: string): number {
  return asDate(localDate).year;
}

export function localDateOf(instant: Date, timeZone: string): string {
  const local = DateTime.fromJSDate(instant, { zone: timeZone });
  if (!local.isValid) throw new RangeError(`Cannot place ${String(instant)} in ${timeZone}`);
  return local.toISODate();
}

/**
 * The earliest instant at which the wall clock of timeZone reads `time` on localDate. Where a clock
 * change repeats that time (Almaty at midnight into 1 March 2024), the earlier reading is the
 * conservative one; where it skips it, luxon moves forward to the first existing time.
 */
function earliestInstantAt(localDate: string, time: string, timeZone: string): DateTime<true> {
  const zone = IANAZone.create(timeZone);
  const wallAsUtc = asDate(localDate).toMillis() + DateTime.fromISO(`1970-01-01T${time}`, { zone: 'utc' }).toMillis();
  const nearbyOffsets = new Set([-MS_PER_DAY, 0, MS_PER_DAY].map((shift) => zone.offset(wallAsUtc + shift)));
  const readings = [...nearbyOffsets]
    .map((offset) => wallAsUtc - offset * MS_PER_MINUTE)
    .filter((instant) => zone.offset(instant) * MS_PER_MINUTE === wallAsUtc - instant);
  const instant = readings.length
    ? DateTime.fromMillis(Math.min(...readings), { zone })
    : DateTime.fromISO(`${localDate}T${time}`, { zone });
  if (!instant.isValid) throw new RangeError(`Cannot place ${localDate}T${time} in ${timeZone}`);
  return instant;
}

/** A due date ends at 23:59:59 local time. */
export function endOfLocalDay(localDate: string, timeZone: string): DateTime<true> {
  return earliestInstantAt(localDate, LAST_SECOND_OF_DAY, timeZone);
}

export function startOfLocalDay(localDate: string, timeZone: string): DateTime<true> {
  return earliestInstantAt(localDate, FIRST_SECOND_OF_DAY, timeZone);
}

/** ISO 8601 with the zone's offset at that instant, milliseconds only where there are any. */
export function formatInstant(instant: Date | DateTime, timeZone: string): string {
  const local = (instant instanceof Date ? DateTime.fromJSDate(instant) : instant).setZone(timeZone);
  const text = local.toISO({ suppressMilliseconds: true });
  if (!text) throw new RangeError(`Cannot format an instant in ${timeZone}`);
  return text;
}

export function parseInstant(iso: string): Date {
  const instant = DateTime.fromISO(iso, { setZone: true });
  if (!instant.isValid) throw new RangeError(`Not an ISO 8601 instant: ${iso}`);
  return instant.toJSDate();
}
