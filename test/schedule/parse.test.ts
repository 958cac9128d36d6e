import { describe, expect, it } from 'vitest';
import { formatDs, formatDsNodash, formatTs, parseDate, parseDuration, scheduleError } from '../../src/schedule/index.ts';

describe('parseDate', () => {
  it('reads a date-only string as midnight in the DAG time zone', () => {
    expect(parseDate('2021-02-05', 'UTC').toISOString()).toBe('2021-02-05T00:00:00.000Z');
    expect(parseDate('2021-02-05', 'Asia/Seoul').toISOString()).toBe('2021-02-04T15:00:00.000Z');
    expect(parseDate('2021-07-01', 'America/New_York').toISOString()).toBe('2021-07-01T04:00:00.000Z');
    expect(parseDate('20210205', 'UTC').toISOString()).toBe('2021-02-05T00:00:00.000Z');
  });

  it('reads a date-time without offset in the time zone, with optional seconds and fraction', () => {
    expect(parseDate('2021-02-05T03:00', 'Asia/Seoul').toISOString()).toBe('2021-02-04T18:00:00.000Z');
    expect(parseDate('2021-02-05 03:00:30', 'UTC').toISOString()).toBe('2021-02-05T03:00:30.000Z');
    expect(parseDate('2021-02-05T03:00:30.25', 'UTC').toISOString()).toBe('2021-02-05T03:00:30.250Z');
  });

  it('an explicit offset wins over the time zone', () => {
    expect(parseDate('2021-02-05T03:00:00+09:00', 'America/New_York').toISOString()).toBe('2021-02-04T18:00:00.000Z');
    expect(parseDate('2021-02-05T03:00:00Z', 'Asia/Seoul').toISOString()).toBe('2021-02-05T03:00:00.000Z');
    expect(parseDate('2021-02-05T03:00-0530', 'UTC').toISOString()).toBe('2021-02-05T08:30:00.000Z');
  });

  it('passes a valid Date through as a copy', () => {
    const d = new Date('2021-02-05T00:00:00Z');
    const parsed = parseDate(d, 'Asia/Seoul');
    expect(parsed).toEqual(d);
    expect(parsed).not.toBe(d);
  });

  it('explains what it expected when the input is not a date', () => {
    expect(() => parseDate('yesterday', 'UTC')).toThrow('expected a date such as "2021-02-05", "2021-02-05T03:00" or "2021-02-05T03:00:00+09:00", found "yesterday"');
    expect(() => parseDate('2021-02-30', 'UTC')).toThrow('"2021-02-30" is not a date: February 2021 has days 1 to 28, found 30');
    expect(() => parseDate('2021-13-01', 'UTC')).toThrow(/month 13 is not between 1 and 12/);
    expect(() => parseDate('2021-02-05T25:00', 'UTC')).toThrow(/not a time of day/);
    expect(() => parseDate(new Date('nope'), 'UTC')).toThrow(/invalid Date/);
  });

  it('names an unknown time zone', () => {
    expect(() => parseDate('2021-02-05', 'Mars/Olympus')).toThrow('time zone "Mars/Olympus" is not an IANA time zone');
  });
});

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['1w', 604_800_000],
  ])('%s is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', '5', '5 minutes', '1h-30m', 'abc'])('refuses %j with the accepted forms', (input) => {
    expect(() => parseDuration(input)).toThrow(/expected a duration: .*'30s'.*found '/);
  });

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(/expected a duration/);
    expect(() => parseDuration(Number.NaN)).toThrow(/expected a duration/);
  });
});

describe('formatting, in UTC as Airflow prints its context', () => {
  const d = new Date('2021-02-05T00:00:00Z');

  it('ds, ds_nodash and ts', () => {
    expect(formatDs(d)).toBe('2021-02-05');
    expect(formatDsNodash(d)).toBe('20210205');
    expect(formatTs(d)).toBe('2021-02-05T00:00:00+00:00');
    expect(formatTs(new Date('2021-02-05T03:04:05.250Z'))).toBe('2021-02-05T03:04:05.250000+00:00');
  });

  it('a Seoul-midnight logical date has the previous UTC day as its ds', () => {
    expect(formatDs(parseDate('2021-02-05', 'Asia/Seoul'))).toBe('2021-02-04');
  });
});

describe('scheduleError', () => {
  it('is null for valid schedules', () => {
    for (const s of [null, 'none', '@once', '@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@annually', '@midnight', '0 2 * * *', '*/5 9-17 * * MON-FRI']) {
      expect(scheduleError(s, 'Asia/Seoul'), String(s)).toBeNull();
    }
  });

  it("includes cron-parser's reason for a bad cron", () => {
    expect(scheduleError('61 * * * *', 'UTC')).toMatch(/^invalid cron schedule "61 \* \* \* \*": Constraint error, got value 61 expected range 0-59\. Use "minute hour/);
    expect(scheduleError('0 2 * *', 'UTC')).toMatch(/expected 5 fields .*found 4/);
  });

  it('suggests the nearest preset', () => {
    expect(scheduleError('@hourley', 'UTC')).toMatch(/unknown schedule preset "@hourley" \(did you mean "@hourly"\?\)/);
  });

  it('names a bad time zone', () => {
    expect(scheduleError('@daily', 'Seoul')).toMatch(/time zone "Seoul" is not an IANA time zone.*"Asia\/Seoul"/);
  });
});
