import Holidays from 'date-holidays';
import type { BaseHolidays } from '../../domain/deadlines/index.ts';

/**
 * The date-holidays library as the base of calendars that build on it (RU, US-CA, BR). It brings its rules for every
 * country with moment-timezone and astronomy tables — most of a function's code by size — so it is imported only where
 * the profile's calendars need it.
 */
export function dateHolidays(): BaseHolidays {
  const known = new Holidays();
  const byRegion = new Map<string, Holidays>();
  return {
    problem(country, state) {
      if (!(country in known.getCountries())) return `date-holidays does not know country '${country}'`;
      if (state !== undefined && !(state in (known.getStates(country) ?? {}))) return `date-holidays does not know state '${state}' of '${country}'`;
      return undefined;
    },
    holidays(country, state, year) {
      const region = state === undefined ? country : `${country}-${state}`;
      let library = byRegion.get(region);
      if (!library) {
        library = state === undefined ? new Holidays(country) : new Holidays(country, state);
        byRegion.set(region, library);
      }
      return library.getHolidays(year).map((holiday) => ({ date: holiday.date.slice(0, 10), type: holiday.type }));
    },
  };
}
