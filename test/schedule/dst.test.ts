import { describe, expect, it } from 'vitest';
import type { DataInterval } from '../../src/dag/types.ts';
import { backfillIntervals, compileSchedule, dueIntervals, parseDate, timeZone, type ScheduleSpec } from '../../src/schedule/index.ts';

const NY = 'America/New_York';
const at = (iso: string): Date => new Date(iso);
const hours = (i: DataInterval): number => (i.end.getTime() - i.start.getTime()) / 3_600_000;

function spec(schedule: string, timezone: string, startDate = '2021-01-01', extra: Partial<ScheduleSpec> = {}): ScheduleSpec {
  return { schedule, timezone, startDate: parseDate(startDate, timezone), catchup: true, ...extra };
}

function iso(intervals: DataInterval[]): string[] {
  return intervals.map((i) => `${i.start.toISOString()}/${i.end.toISOString()}`);
}

/** The invariants every schedule keeps across any DST change: no holes, no overlaps, no repeats. */
function expectContiguous(intervals: DataInterval[]): void {
  for (let k = 0; k < intervals.length; k++) {
    const i = intervals[k]!;
    expect(i.end.getTime(), `interval ${k} is empty or reversed`).toBeGreaterThan(i.start.getTime());
    if (k > 0) expect(i.start, `interval ${k} does not start where ${k - 1} ends`).toEqual(intervals[k - 1]!.end);
  }
}

/** previousInterval and followingInterval must walk the same chain as the forward algorithm. */
function expectNeighboursAgree(s: ScheduleSpec, intervals: DataInterval[]): void {
  const compiled = compileSchedule(s);
  for (let k = 1; k < intervals.length; k++) {
    expect(compiled.previousInterval(intervals[k]!)).toEqual(intervals[k - 1]);
    expect(compiled.followingInterval(intervals[k - 1]!)).toEqual(intervals[k]);
  }
}

describe('new-york-dst-gap: 2021-03-14, clocks jump from 02:00 EST to 03:00 EDT (07:00 UTC)', () => {
  // 02:30 does not exist that night. Like Airflow (pendulum) and cron-parser's next(), the run
  // moves forward by the gap to 03:30 EDT; it is neither dropped nor run twice.
  it('"30 2 * * *" fires at 03:30 EDT on the day of the gap', () => {
    const s = spec('30 2 * * *', NY);
    const intervals = backfillIntervals(s, parseDate('2021-03-12', NY), parseDate('2021-03-16', NY), { endExclusive: true });
    expect(iso(intervals)).toEqual([
      '2021-03-12T07:30:00.000Z/2021-03-13T07:30:00.000Z',
      '2021-03-13T07:30:00.000Z/2021-03-14T07:30:00.000Z', // ends at 03:30 EDT
      '2021-03-14T07:30:00.000Z/2021-03-15T06:30:00.000Z', // 23 hours long
      '2021-03-15T06:30:00.000Z/2021-03-16T06:30:00.000Z',
    ]);
    expect(intervals.map(hours)).toEqual([24, 24, 23, 24]);
    expectNeighboursAgree(s, intervals);
  });

  it('the day of the gap is 23 hours for a daily DAG', () => {
    const intervals = backfillIntervals(spec('@daily', NY), parseDate('2021-03-13', NY), parseDate('2021-03-16', NY), { endExclusive: true });
    expect(iso(intervals)).toEqual([
      '2021-03-13T05:00:00.000Z/2021-03-14T05:00:00.000Z',
      '2021-03-14T05:00:00.000Z/2021-03-15T04:00:00.000Z',
      '2021-03-15T04:00:00.000Z/2021-03-16T04:00:00.000Z',
    ]);
  });

  it('hourly schedules follow the real hours: 01:00 EST is followed by 03:00 EDT, one hour later', () => {
    for (const cron of ['0 * * * *', '30 * * * *']) {
      const s = spec(cron, NY);
      const intervals = backfillIntervals(s, at('2021-03-14T04:00:00Z'), at('2021-03-14T10:00:00Z'), { endExclusive: true });
      expect(intervals).toHaveLength(6);
      expect(intervals.map(hours)).toEqual([1, 1, 1, 1, 1, 1]);
      expectContiguous(intervals);
      expectNeighboursAgree(s, intervals);
    }
  });

  it('a startDate inside the gap is read as the moved-forward time', () => {
    expect(parseDate('2021-03-14T02:30', NY)).toEqual(at('2021-03-14T07:30:00Z'));
  });

  it('regression: a startDate at the moved-forward fire (03:30 EDT) is that fire, not the next day', () => {
    const s = spec('30 2 * * *', NY, '2021-03-14T02:30');
    expect(iso(dueIntervals(s, at('2021-03-16T00:00:00Z')))).toEqual([
      '2021-03-14T07:30:00.000Z/2021-03-15T06:30:00.000Z',
    ]);
  });
});

describe('the repeated autumn hour: 2021-11-07, clocks fall back from 02:00 EDT to 01:00 EST (06:00 UTC)', () => {
  it('hourly: every real hour is one interval, 01:00 EDT and 01:00 EST both run, none twice', () => {
    const s = spec('@hourly', NY);
    const intervals = backfillIntervals(s, at('2021-11-06T20:00:00Z'), at('2021-11-07T12:00:00Z'), { endExclusive: true });
    expect(intervals).toHaveLength(16);
    expect(intervals.map(hours).every((h) => h === 1)).toBe(true);
    expectContiguous(intervals);
    expectNeighboursAgree(s, intervals);
    expect(intervals.map((i) => i.start.toISOString().slice(11, 16))).toContain('05:00'); // 01:00 EDT
    expect(intervals.map((i) => i.start.toISOString().slice(11, 16))).toContain('06:00'); // 01:00 EST
  });

  it('every half hour: the repeated 01:00 and 01:30 run in both occurrences', () => {
    const s = spec('*/30 * * * *', NY);
    const intervals = backfillIntervals(s, at('2021-11-07T04:00:00Z'), at('2021-11-07T08:00:00Z'), { endExclusive: true });
    expect(intervals.map((i) => i.start.toISOString().slice(11, 16))).toEqual(['04:00', '04:30', '05:00', '05:30', '06:00', '06:30', '07:00', '07:30']);
    expectContiguous(intervals);
    expectNeighboursAgree(s, intervals);
  });

  it('daily: the day of the fall-back is 25 hours, no duplicate midnight', () => {
    const s = spec('@daily', NY);
    const intervals = backfillIntervals(s, parseDate('2021-11-06', NY), parseDate('2021-11-09', NY), { endExclusive: true });
    expect(iso(intervals)).toEqual([
      '2021-11-06T04:00:00.000Z/2021-11-07T04:00:00.000Z',
      '2021-11-07T04:00:00.000Z/2021-11-08T05:00:00.000Z',
      '2021-11-08T05:00:00.000Z/2021-11-09T05:00:00.000Z',
    ]);
    expect(intervals.map(hours)).toEqual([24, 25, 24]);
    expectNeighboursAgree(s, intervals);
  });

  it('a daily run inside the repeated hour ("30 1 * * *") fires once, on the second 01:30 (Airflow: fold=1)', () => {
    const s = spec('30 1 * * *', NY);
    const intervals = backfillIntervals(s, parseDate('2021-11-06', NY), parseDate('2021-11-09', NY), { endExclusive: true });
    expect(iso(intervals)).toEqual([
      '2021-11-06T05:30:00.000Z/2021-11-07T06:30:00.000Z', // 25 hours: ends at 01:30 EST; 01:30 EDT is not a run
      '2021-11-07T06:30:00.000Z/2021-11-08T06:30:00.000Z',
      '2021-11-08T06:30:00.000Z/2021-11-09T06:30:00.000Z',
    ]);
    expectNeighboursAgree(s, intervals);
  });

  it('catchup=false with now inside the repeated hour picks the hour that just ended', () => {
    const due = dueIntervals(spec('@hourly', NY, '2021-11-01', { catchup: false }), at('2021-11-07T06:30:00Z'));
    expect(iso(due)).toEqual(['2021-11-07T05:00:00.000Z/2021-11-07T06:00:00.000Z']);
  });

  it('a startDate in the repeated hour means its second occurrence, the later offset (pendulum POST_TRANSITION)', () => {
    expect(parseDate('2021-11-07T01:30', NY)).toEqual(at('2021-11-07T06:30:00Z'));
  });
});

describe('a whole year of DST changes keeps intervals contiguous and consistent', () => {
  const zones = [NY, 'Europe/London', 'Australia/Lord_Howe', 'Asia/Seoul', 'UTC'];
  const crons = ['@hourly', '@daily', '30 2 * * *', '0 1,2,3 * * *', '15 */2 * * *', '30 1 * * 0'];
  for (const zone of zones) {
    it(`${zone}: ${crons.join(', ')}`, () => {
      for (const cron of crons) {
        const s = spec(cron, zone);
        const intervals = backfillIntervals(s, parseDate('2021-01-01', zone), parseDate('2022-01-01', zone), { endExclusive: true });
        expectContiguous(intervals);
        // The inverse walk must agree on every interval near an offset change, and on a sample elsewhere.
        const compiled = compileSchedule(s);
        const tz = timeZone(zone);
        const changes = intervals.flatMap((i, k) => (k > 0 && tz.offsetAt(i.start.getTime()) !== tz.offsetAt(intervals[k - 1]!.start.getTime()) ? [k] : []));
        const near = (k: number): boolean => changes.some((c) => Math.abs(c - k) <= 30);
        for (let k = 1; k < intervals.length; k++) {
          if (!near(k) && k % 97 !== 0) continue;
          const where = `${cron} in ${zone} at ${intervals[k]!.start.toISOString()}`;
          expect(compiled.previousInterval(intervals[k]!), where).toEqual(intervals[k - 1]);
          expect(compiled.followingInterval(intervals[k - 1]!), where).toEqual(intervals[k]);
        }
        if (zone !== 'UTC' && zone !== 'Asia/Seoul') expect(changes.length, `${cron} in ${zone} crosses DST`).toBeGreaterThanOrEqual(2);
      }
    });
  }
});

describe('UTC', () => {
  it('built without Intl, agrees with the Intl-built Etc/UTC', () => {
    const utc = timeZone('UTC');
    const intl = timeZone('Etc/UTC');
    expect(utc.name).toBe(intl.name);
    for (const instant of [Date.UTC(1970, 0, 1), Date.UTC(2021, 2, 14, 2, 30), Date.UTC(2021, 10, 7, 1, 30), Date.UTC(2038, 0, 19, 3, 14, 8)]) {
      expect(utc.offsetAt(instant)).toBe(intl.offsetAt(instant));
      expect(utc.toWall(instant)).toBe(intl.toWall(instant));
      expect(utc.resolve(instant)).toEqual(intl.resolve(instant));
    }
  });
});
