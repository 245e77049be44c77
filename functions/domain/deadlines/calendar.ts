import { ConfigurationError } from '../errors.ts';
import { addDays, addMonths, isLocalDate, isoWeekday, yearOf } from './local-time.ts';
import { weekdayNumber, type CalendarData } from './schemas.ts';
import type { BaseHolidays, CalendarUsed, Term, TransferDay } from './types.ts';

/** Days off and worked weekend days of one year, after substitutes and transfer orders. */
interface YearTable {
  daysOff: Set<string>;
  workedWeekendDays: Set<string>;
}

interface Holiday {
  date: string;
  movesOffWeekend: boolean;
}

/** Longest run of days off the search for a working day tolerates before calling the calendar broken. */
const MAX_DAYS_WITHOUT_WORK = 366;

/** The working-day calendar of one country, built lazily per year from validated calendar data. */
export class WorkingCalendar {
  readonly timeZone: string;
  private readonly weekend: Set<number>;
  private readonly baseTypes: Set<string>;
  private readonly holidaysByYear = new Map<number, Holiday[]>();
  private readonly tables = new Map<number, YearTable>();

  constructor(
    private readonly data: CalendarData,
    private readonly baseHolidays: BaseHolidays | undefined,
  ) {
    this.timeZone = data.timeZone;
    this.weekend = new Set(data.weekend.map(weekdayNumber));
    this.baseTypes = new Set(data.baseHolidays?.types);
  }

  /** What the calendar is, and the transfers that moved a day in (from, to]: the days a term was counted over. */
  between(fromLocalDate: string, toLocalDate: string): CalendarUsed {
    const inRange = (date: string) => fromLocalDate < date && date <= toLocalDate;
    const transfers: TransferDay[] = [];
    for (let year = yearOf(fromLocalDate); year <= yearOf(toLocalDate); year += 1) {
      for (const transfer of this.data.years[String(year)]?.transfers ?? []) {
        if (inRange(transfer.dayOff) || inRange(transfer.workingDay)) transfers.push({ ...transfer });
      }
    }
    return { country: this.data.country, name: this.data.name, source: this.data.source, transfers };
  }

  isWorkingDay(localDate: string): boolean {
    const table = this.table(yearOf(localDate));
    if (table.workedWeekendDays.has(localDate)) return true;
    return !this.isWeekend(localDate) && !table.daysOff.has(localDate);
  }

  /** The n-th working day after fromLocalDate (before it for negative n); fromLocalDate itself never counts. */
  addWorkingDays(fromLocalDate: string, n: number): string {
    const step = Math.sign(n);
    let date = fromLocalDate;
    for (let counted = 0; counted < Math.abs(n); counted += 1) {
      date = this.nextWorkingDay(date, step);
    }
    return date;
  }

  /** The local date a term ends on, counted from the local date of receipt (which never counts). */
  addTerm(fromLocalDate: string, term: Term): string {
    switch (term.unit) {
      case 'working_days':
        return this.addWorkingDays(fromLocalDate, term.amount);
      case 'calendar_days':
        return addDays(fromLocalDate, term.amount);
      case 'calendar_months':
        return addMonths(fromLocalDate, term.amount);
    }
  }

  private nextWorkingDay(from: string, step: number): string {
    let date = from;
    for (let tries = 0; tries < MAX_DAYS_WITHOUT_WORK; tries += 1) {
      date = addDays(date, step);
      if (this.isWorkingDay(date)) return date;
    }
    throw new RangeError(`Calendar ${this.data.country} has no working day within ${MAX_DAYS_WITHOUT_WORK} days of ${from}`);
  }

  private isWeekend(localDate: string): boolean {
    return this.weekend.has(isoWeekday(localDate));
  }

  private table(year: number): YearTable {
    let table = this.tables.get(year);
    if (!table) {
      table = this.buildTable(year);
      this.tables.set(year, table);
    }
    return table;
  }

  /** Substitutes of late-December holidays can fall in January, so the previous year is consulted too. */
  private buildTable(year: number): YearTable {
    const transfers = this.data.years[String(year)]?.transfers ?? [];
    const daysOff = new Set([
      ...this.holidays(year).map((holiday) => holiday.date),
      ...transfers.map((transfer) => transfer.dayOff),
      ...[year - 1, year].flatMap((source) => this.substitutes(source)).filter((date) => yearOf(date) === year),
    ]);
    return { daysOff, workedWeekendDays: new Set(transfers.map((transfer) => transfer.workingDay)) };
  }

  /**
   * Law 267-II Art. 5: a holiday on a weekend day moves the day off to the next working day after
   * the holiday, taken in date order, so Nauryz 2026 (Sat 21, Sun 22, Mon 23 Mar) adds Tue 24 and
   * Wed 25.
   */
  private substitutes(year: number): string[] {
    const taken = new Set<string>();
    const isFree = (date: string) =>
      !this.isWeekend(date) &&
      !taken.has(date) &&
      !this.holidays(yearOf(date)).some((holiday) => holiday.date === date) &&
      !(this.data.years[String(yearOf(date))]?.transfers ?? []).some((transfer) => transfer.dayOff === date);
    const onWeekend = this.holidays(year)
      .filter((holiday) => holiday.movesOffWeekend && this.isWeekend(holiday.date))
      .map((holiday) => holiday.date)
      .sort();
    for (const date of onWeekend) {
      let substitute = addDays(date, 1);
      while (!isFree(substitute)) substitute = addDays(substitute, 1);
      taken.add(substitute);
    }
    return [...taken];
  }

  /** Holidays of a year before substitutes: recurring dates in force, the year's own dates, and the base library's. */
  private holidays(year: number): Holiday[] {
    let holidays = this.holidaysByYear.get(year);
    if (!holidays) {
      const recurring = this.data.holidays
        .filter((holiday) => (holiday.fromYear ?? year) <= year && year <= (holiday.toYear ?? year))
        .map((holiday) => ({ date: `${year}-${holiday.monthDay}`, movesOffWeekend: holiday.onWeekend === 'next_working_day' }))
        .filter((holiday) => isLocalDate(holiday.date)); // 29 Feb exists only in leap years
      const announced = (this.data.years[String(year)]?.holidays ?? []).map((holiday) => ({
        date: holiday.date,
        movesOffWeekend: holiday.onWeekend === 'next_working_day',
      }));
      holidays = [...recurring, ...announced, ...this.baseHolidaysOf(year)];
      this.holidaysByYear.set(year, holidays);
    }
    return holidays;
  }

  /** The base library's holidays of the types the calendar takes; the library already lists its own substitute days. */
  private baseHolidaysOf(year: number): Holiday[] {
    const base = this.data.baseHolidays;
    if (!base) return [];
    if (!this.baseHolidays) {
      throw new ConfigurationError(`calendar ${this.data.country}`, [
        { field: 'baseHolidays', message: `builds on ${base.provider}, which this deadline engine was created without` },
      ]);
    }
    return this.baseHolidays
      .holidays(base.country, base.state, year)
      .filter((holiday) => this.baseTypes.has(holiday.type))
      .map((holiday) => ({ date: holiday.date, movesOffWeekend: false }));
  }
}
