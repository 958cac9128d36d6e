import { describe, expect, it } from 'vitest';
import type { DataInterval } from '../../src/dag/types.ts';
import {
  backfillIntervals,
  compileSchedule,
  dueIntervals,
  followingInterval,
  intervalAt,
  nextDagrunInfo,
  parseDate,
  previousInterval,
  type ScheduleSpec,
} from '../../src/schedule/index.ts';

const at = (iso: string): Date => new Date(iso);

function spec(schedule: string | null, startDate: string, extra: Partial<ScheduleSpec> = {}): ScheduleSpec {
  const timezone = extra.timezone ?? 'UTC';
  return { schedule, startDate: parseDate(startDate, timezone), timezone, catchup: true, ...extra };
}

/** Intervals as compact `start/end` ISO pairs, so failures read like a schedule. */
function iso(intervals: DataInterval[]): string[] {
  return intervals.map((i) => `${i.start.toISOString()}/${i.end.toISOString()}`);
}

function daily(from: string, days: number): string[] {
  const start = Date.parse(from);
  return Array.from({ length: days }, (_, k) => `${new Date(start + k * 86_400_000).toISOString()}/${new Date(start + (k + 1) * 86_400_000).toISOString()}`);
}

describe('the course example: a daily DAG starting 2021-02-05', () => {
  const dag = spec('@daily', '2021-02-05');

  it('first runs at 2021-02-06 for the interval [2021-02-05, 2021-02-06): logical date = interval start', () => {
    const first = nextDagrunInfo(dag, null, {});
    expect(first).toEqual({ runAfter: at('2021-02-06T00:00:00Z'), interval: { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') } });
  });

  it('is not due before its interval ends', () => {
    expect(nextDagrunInfo(dag, null, { latest: at('2021-02-05T23:59:59.999Z') })).toBeNull();
    expect(nextDagrunInfo(dag, null, { latest: at('2021-02-06T00:00:00Z') })?.interval.start).toEqual(at('2021-02-05T00:00:00Z'));
  });

  it('continues from the last run', () => {
    const last = { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') };
    expect(nextDagrunInfo(dag, last, {})?.interval).toEqual({ start: at('2021-02-06T00:00:00Z'), end: at('2021-02-07T00:00:00Z') });
  });

  it('re-aligns a last interval left by an older schedule', () => {
    const last = { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T05:00:00Z') };
    expect(nextDagrunInfo(dag, last, {})?.interval.start).toEqual(at('2021-02-06T00:00:00Z'));
  });
});

describe('catchup', () => {
  it('catchup on: every interval since startDate that has ended by now', () => {
    expect(iso(dueIntervals(spec('@daily', '2021-02-05'), at('2021-02-08T12:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 3));
  });

  it('an interval ending exactly at now is due', () => {
    expect(dueIntervals(spec('@daily', '2021-02-05'), at('2021-02-08T00:00:00Z'))).toHaveLength(3);
  });

  it('catchup off: only the latest complete interval', () => {
    const dag = spec('@daily', '2021-02-05', { catchup: false });
    expect(iso(dueIntervals(dag, at('2021-02-10T12:00:00Z')))).toEqual(daily('2021-02-09T00:00:00Z', 1));
    expect(iso(dueIntervals(dag, at('2021-02-10T00:00:00Z')))).toEqual(daily('2021-02-09T00:00:00Z', 1));
  });

  it('catchup off: nothing before the first aligned startDate', () => {
    const dag = spec('@daily', '2021-02-05T06:00', { catchup: false });
    expect(dueIntervals(dag, at('2021-02-06T12:00:00Z'))).toEqual([]);
    expect(iso(dueIntervals(dag, at('2021-02-07T00:00:00Z')))).toEqual(daily('2021-02-06T00:00:00Z', 1));
  });

  it('catchup off: after the last run, only newer complete intervals; none twice', () => {
    const dag = spec('@daily', '2021-02-05', { catchup: false });
    const last = { start: at('2021-02-09T00:00:00Z'), end: at('2021-02-10T00:00:00Z') };
    expect(dueIntervals(dag, at('2021-02-10T12:00:00Z'), { last })).toEqual([]);
    const older = { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') };
    expect(iso(dueIntervals(dag, at('2021-02-10T12:00:00Z'), { last: older }))).toEqual(daily('2021-02-09T00:00:00Z', 1));
  });

  it('catchup off via nextDagrunInfo skips to the latest interval complete at restriction.latest', () => {
    const dag = spec('@hourly', '2021-02-05', { catchup: false });
    const info = nextDagrunInfo(dag, null, { latest: at('2021-02-07T10:30:00Z') });
    expect(info?.interval).toEqual({ start: at('2021-02-07T09:00:00Z'), end: at('2021-02-07T10:00:00Z') });
  });

  it('dueIntervals after a last run and with a limit keeps the newest N', () => {
    const dag = spec('@daily', '2021-02-05');
    const last = { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') };
    expect(iso(dueIntervals(dag, at('2021-02-09T00:00:00Z'), { last }))).toEqual(daily('2021-02-06T00:00:00Z', 3));
    expect(iso(dueIntervals(dag, at('2021-02-09T00:00:00Z'), { limit: 2 }))).toEqual(daily('2021-02-07T00:00:00Z', 2));
    expect(dueIntervals(dag, at('2021-02-09T00:00:00Z'), { limit: 0 })).toEqual([]);
    expect(dueIntervals(dag, at('2021-02-09T00:00:00Z'), { limit: 10 })).toHaveLength(4);
  });

  it('a limit gives the same tail as the full list, without walking every interval', () => {
    const dag = spec('*/5 * * * *', '2015-01-01');
    const now = at('2021-02-09T00:00:00Z');
    const tail = dueIntervals(dag, now, { limit: 3 });
    expect(iso(tail)).toEqual([
      '2021-02-08T23:45:00.000Z/2021-02-08T23:50:00.000Z',
      '2021-02-08T23:50:00.000Z/2021-02-08T23:55:00.000Z',
      '2021-02-08T23:55:00.000Z/2021-02-09T00:00:00.000Z',
    ]);
    const s = spec('@daily', '2021-01-01', { endDate: at('2021-01-20T00:00:00Z') });
    expect(dueIntervals(s, now, { limit: 2 })).toEqual(dueIntervals(s, now).slice(-2));
  });

  it('rejects a limit that is not a whole number', () => {
    expect(() => dueIntervals(spec('@daily', '2021-02-05'), at('2021-02-09T00:00:00Z'), { limit: -1 })).toThrow(/limit.*whole number/);
  });
});

describe('endDate', () => {
  // Airflow's CronDataIntervalTimetable returns None when `start > restriction.latest` (end_date):
  // an interval may start AT endDate, never after it.
  const dag = spec('@daily', '2021-02-05', { endDate: parseDate('2021-02-08', 'UTC') });

  it('no interval starts after endDate; one starting exactly at endDate still runs', () => {
    expect(iso(dueIntervals(dag, at('2021-03-01T00:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 4));
  });

  it('nextDagrunInfo after the last interval is null', () => {
    const last = { start: at('2021-02-08T00:00:00Z'), end: at('2021-02-09T00:00:00Z') };
    expect(nextDagrunInfo(dag, last, {})).toBeNull();
  });

  it('an endDate between fires stops after the interval starting before it', () => {
    const mid = spec('@daily', '2021-02-05', { endDate: at('2021-02-07T12:00:00Z') });
    expect(iso(dueIntervals(mid, at('2021-03-01T00:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 3));
  });

  it('bounds test windows (withinDagDates) but refuses a backfill past endDate, where Airflow 2 deadlocks', () => {
    expect(backfillIntervals(dag, at('2021-02-01T00:00:00Z'), at('2021-03-01T00:00:00Z'), { endExclusive: true, withinDagDates: true })).toHaveLength(4);
    expect(() => backfillIntervals(dag, at('2021-02-01T00:00:00Z'), at('2021-03-01T00:00:00Z'))).toThrow(
      /holds logical date 2021-02-09T00:00:00.000Z, after the DAG's endDate 2021-02-08T00:00:00.000Z; Airflow 2 would create that run and then deadlock/,
    );
    expect(backfillIntervals(dag, at('2021-02-06T00:00:00Z'), at('2021-02-08T00:00:00Z'))).toHaveLength(3);
  });
});

describe('presets', () => {
  const cases: [string, string, string[]][] = [
    ['@hourly', '2021-02-05T00:00:00Z', ['2021-02-05T00:00:00.000Z/2021-02-05T01:00:00.000Z', '2021-02-05T01:00:00.000Z/2021-02-05T02:00:00.000Z']],
    ['@daily', '2021-02-05T00:00:00Z', ['2021-02-05T00:00:00.000Z/2021-02-06T00:00:00.000Z', '2021-02-06T00:00:00.000Z/2021-02-07T00:00:00.000Z']],
    ['@midnight', '2021-02-05T00:00:00Z', ['2021-02-05T00:00:00.000Z/2021-02-06T00:00:00.000Z', '2021-02-06T00:00:00.000Z/2021-02-07T00:00:00.000Z']],
    // 2021-02-07 is a Sunday: weeks run Sunday 00:00 to Sunday 00:00.
    ['@weekly', '2021-02-05T00:00:00Z', ['2021-02-07T00:00:00.000Z/2021-02-14T00:00:00.000Z', '2021-02-14T00:00:00.000Z/2021-02-21T00:00:00.000Z']],
    ['@monthly', '2021-02-05T00:00:00Z', ['2021-03-01T00:00:00.000Z/2021-04-01T00:00:00.000Z', '2021-04-01T00:00:00.000Z/2021-05-01T00:00:00.000Z']],
    ['@quarterly', '2021-02-05T00:00:00Z', ['2021-04-01T00:00:00.000Z/2021-07-01T00:00:00.000Z', '2021-07-01T00:00:00.000Z/2021-10-01T00:00:00.000Z']],
    ['@yearly', '2021-02-05T00:00:00Z', ['2022-01-01T00:00:00.000Z/2023-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z/2024-01-01T00:00:00.000Z']],
    ['@annually', '2021-02-05T00:00:00Z', ['2022-01-01T00:00:00.000Z/2023-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z/2024-01-01T00:00:00.000Z']],
  ];

  for (const [preset, start, expected] of cases) {
    it(`${preset}: the first two intervals start at the first fire at or after startDate`, () => {
      const s = compileSchedule(spec(preset, start));
      const first = s.nextDagrunInfo(null)!;
      const second = s.nextDagrunInfo(first.interval)!;
      expect(iso([first.interval, second.interval])).toEqual(expected);
      expect(first.runAfter).toEqual(first.interval.end);
    });
  }

  it('presets are case-insensitive and unknown ones are refused with a suggestion', () => {
    expect(nextDagrunInfo(spec('@DAILY', '2021-02-05'), null, {})?.interval.start).toEqual(at('2021-02-05T00:00:00Z'));
    expect(() => nextDagrunInfo(spec('@dayly', '2021-02-05'), null, {})).toThrow('unknown schedule preset "@dayly" (did you mean "@daily"?)');
  });
});

describe('@once', () => {
  const dag = spec('@once', '2021-02-05T03:00');

  it('runs once, at startDate, for the empty interval [startDate, startDate]', () => {
    const info = nextDagrunInfo(dag, null, {});
    expect(info).toEqual({ runAfter: at('2021-02-05T03:00:00Z'), interval: { start: at('2021-02-05T03:00:00Z'), end: at('2021-02-05T03:00:00Z') } });
    expect(nextDagrunInfo(dag, info!.interval, {})).toBeNull();
  });

  it('is due from startDate on, with or without catchup', () => {
    expect(dueIntervals(dag, at('2021-02-05T02:59:00Z'))).toEqual([]);
    expect(dueIntervals(dag, at('2021-02-05T03:00:00Z'))).toHaveLength(1);
    expect(dueIntervals({ ...dag, catchup: false }, at('2022-01-01T00:00:00Z'))).toHaveLength(1);
  });

  it('has no previous or following interval; a test window includes it only when startDate is in range', () => {
    const only = { start: at('2021-02-05T03:00:00Z'), end: at('2021-02-05T03:00:00Z') };
    const window = { endExclusive: true, withinDagDates: true };
    expect(previousInterval(dag, only)).toBeNull();
    expect(followingInterval(dag, only)).toBeNull();
    expect(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-06T00:00:00Z'), window)).toEqual([only]);
    expect(backfillIntervals(dag, at('2021-02-06T00:00:00Z'), at('2021-02-07T00:00:00Z'), window)).toEqual([]);
  });

  it('a backfill runs it once, at the start of the range, as Airflow 2 (its OnceTimetable takes the range start)', () => {
    const first = { start: at('2021-02-06T00:00:00Z'), end: at('2021-02-06T00:00:00Z') };
    expect(backfillIntervals(dag, at('2021-02-06T00:00:00Z'), at('2021-02-09T00:00:00Z'))).toEqual([first]);
  });
});

describe('manual schedules (null or "none")', () => {
  for (const schedule of [null, 'none', 'None']) {
    it(`${String(schedule)}: never scheduled, no neighbours, backfill refused`, () => {
      const dag = spec(schedule, '2021-02-05');
      expect(nextDagrunInfo(dag, null, {})).toBeNull();
      expect(dueIntervals(dag, at('2022-01-01T00:00:00Z'))).toEqual([]);
      const i = { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-05T00:00:00Z') };
      expect(previousInterval(dag, i)).toBeNull();
      expect(followingInterval(dag, i)).toBeNull();
      expect(() => backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-06T00:00:00Z'))).toThrow(/cannot backfill a DAG whose schedule is manual/);
    });
  }
});

describe('a custom cron schedule: "0 2 * * *"', () => {
  const dag = spec('0 2 * * *', '2021-02-05');

  it('the first interval starts at the first 02:00 at or after startDate', () => {
    expect(iso(dueIntervals(dag, at('2021-02-07T02:00:00Z')))).toEqual([
      '2021-02-05T02:00:00.000Z/2021-02-06T02:00:00.000Z',
      '2021-02-06T02:00:00.000Z/2021-02-07T02:00:00.000Z',
    ]);
  });

  it('a startDate exactly on a fire starts there', () => {
    expect(nextDagrunInfo(spec('0 2 * * *', '2021-02-05T02:00'), null, {})?.interval.start).toEqual(at('2021-02-05T02:00:00Z'));
  });

  it('weekday, day-of-month and last-day rules', () => {
    const weekdays = backfillIntervals(spec('30 6 * * 1-5', '2021-02-01'), at('2021-02-01T00:00:00Z'), at('2021-02-08T00:00:00Z'));
    expect(weekdays.map((i) => i.start.toISOString().slice(0, 16))).toEqual(['2021-02-01T06:30', '2021-02-02T06:30', '2021-02-03T06:30', '2021-02-04T06:30', '2021-02-05T06:30']);
    expect(weekdays[4]!.end).toEqual(at('2021-02-08T06:30:00Z'));
    const lastDay = backfillIntervals(spec('0 0 L * *', '2021-01-01'), at('2021-01-01T00:00:00Z'), at('2021-05-01T00:00:00Z'));
    expect(lastDay.map((i) => i.start.toISOString().slice(0, 10))).toEqual(['2021-01-31', '2021-02-28', '2021-03-31', '2021-04-30']);
    const secondFriday = backfillIntervals(spec('0 9 * * 5#2', '2021-01-01'), at('2021-01-01T00:00:00Z'), at('2021-04-01T00:00:00Z'));
    expect(secondFriday.map((i) => i.start.toISOString().slice(0, 10))).toEqual(['2021-01-08', '2021-02-12', '2021-03-12']);
    // Both day fields restricted: either matches (Vixie cron, croniter, cron-parser).
    const either = backfillIntervals(spec('0 0 13 * 5', '2021-09-01'), at('2021-09-01T00:00:00Z'), at('2021-09-18T00:00:00Z'));
    expect(either.map((i) => i.start.toISOString().slice(0, 10))).toEqual(['2021-09-03', '2021-09-10', '2021-09-13', '2021-09-17']);
  });
});

describe('backfill ranges are [start, end], end included, as Airflow 2; [start, end) behind endExclusive', () => {
  const dag = spec('@daily', '2021-02-01', { catchup: false });
  const excluded = { endExclusive: true };

  it('takes the intervals whose logical date lies in [start, end], ignoring catchup (Airflow: -s 02-05 -e 02-07 runs three)', () => {
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-07T00:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 3));
  });

  it('with endExclusive takes [start, end), as the course notes write it', () => {
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-08T00:00:00Z'), excluded))).toEqual(daily('2021-02-05T00:00:00Z', 3));
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-07T00:00:00Z'), excluded))).toEqual(daily('2021-02-05T00:00:00Z', 2));
  });

  it('a start equal to the end runs that one logical date', () => {
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-05T00:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 1));
  });

  it('a start inside an interval skips it (its logical date is before start)', () => {
    expect(iso(backfillIntervals(dag, at('2021-02-05T12:00:00Z'), at('2021-02-08T00:00:00Z'), excluded))).toEqual(daily('2021-02-06T00:00:00Z', 2));
  });

  it('an end inside an interval keeps it (its logical date is before end)', () => {
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-07T00:00:01Z'), excluded))).toEqual(daily('2021-02-05T00:00:00Z', 3));
    expect(iso(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-07T12:00:00Z')))).toEqual(daily('2021-02-05T00:00:00Z', 3));
  });

  it('runs dates before startDate, as Airflow 2 does (its backfill ignores the DAG start_date); test windows stay inside it', () => {
    expect(iso(backfillIntervals(dag, at('2021-01-30T00:00:00Z'), at('2021-02-02T00:00:00Z')))).toEqual(daily('2021-01-30T00:00:00Z', 4));
    expect(iso(backfillIntervals(dag, at('2021-01-01T00:00:00Z'), at('2021-02-03T00:00:00Z'), { ...excluded, withinDagDates: true }))).toEqual(
      daily('2021-02-01T00:00:00Z', 2),
    );
  });

  it('refuses an empty range with a sentence saying which end is wrong', () => {
    expect(() => backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-05T00:00:00Z'), excluded)).toThrow(/is empty: the end is excluded/);
    expect(() => backfillIntervals(dag, at('2021-02-06T00:00:00Z'), at('2021-02-05T00:00:00Z'))).toThrow(/is empty: the end date is before the start date/);
  });

  it('gives exactly 1,000 contiguous daily intervals across two New York DST years', () => {
    const ny = spec('@daily', '2018-01-01', { timezone: 'America/New_York' });
    const intervals = backfillIntervals(ny, at('2018-01-01T05:00:00Z'), at('2020-09-27T04:00:00Z'), excluded);
    expect(intervals).toHaveLength(1000);
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]!.start).toEqual(intervals[i - 1]!.end);
  });
});

describe('restriction.earliest', () => {
  const dag = spec('@daily', '2021-02-05');

  it('raises the first interval start, aligned to the schedule', () => {
    expect(nextDagrunInfo(dag, null, { earliest: at('2021-02-10T06:00:00Z') })?.interval.start).toEqual(at('2021-02-11T00:00:00Z'));
  });

  it('never lowers below startDate', () => {
    expect(nextDagrunInfo(dag, null, { earliest: at('2021-01-01T00:00:00Z') })?.interval.start).toEqual(at('2021-02-05T00:00:00Z'));
  });

  it('combines with latest: nothing due before the raised start ends', () => {
    expect(nextDagrunInfo(dag, null, { earliest: at('2021-02-10T00:00:00Z'), latest: at('2021-02-10T23:00:00Z') })).toBeNull();
  });
});

describe('Asia/Seoul daily DAG', () => {
  const dag = spec('@daily', '2021-02-05', { timezone: 'Asia/Seoul' });

  it('intervals run from Seoul midnight to Seoul midnight (15:00 UTC)', () => {
    expect(dag.startDate).toEqual(at('2021-02-04T15:00:00Z'));
    expect(iso(dueIntervals(dag, parseDate('2021-02-08', 'Asia/Seoul')))).toEqual(daily('2021-02-04T15:00:00Z', 3));
  });

  it('"0 2 * * *" fires at 02:00 Seoul time, 17:00 UTC the day before', () => {
    const s = spec('0 2 * * *', '2021-02-05', { timezone: 'Asia/Seoul' });
    expect(nextDagrunInfo(s, null, {})?.interval).toEqual({ start: at('2021-02-04T17:00:00Z'), end: at('2021-02-05T17:00:00Z') });
  });
});

describe('previous, following and containing intervals', () => {
  const dag = spec('@daily', '2021-02-05');
  const feb6 = { start: at('2021-02-06T00:00:00Z'), end: at('2021-02-07T00:00:00Z') };

  it('neighbours of a scheduled interval (prev_ds / next_ds)', () => {
    expect(previousInterval(dag, feb6)).toEqual({ start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') });
    expect(followingInterval(dag, feb6)).toEqual({ start: at('2021-02-07T00:00:00Z'), end: at('2021-02-08T00:00:00Z') });
  });

  it('the first interval still has a previous one (prev_ds), as Airflow\'s previous_schedule ignores startDate', () => {
    expect(previousInterval(dag, { start: at('2021-02-05T00:00:00Z'), end: at('2021-02-06T00:00:00Z') })).toEqual({
      start: at('2021-02-04T00:00:00Z'),
      end: at('2021-02-05T00:00:00Z'),
    });
  });

  it('the following interval ignores endDate, as Airflow does for next_ds', () => {
    const ended = { ...dag, endDate: at('2021-02-06T00:00:00Z') };
    expect(followingInterval(ended, feb6)?.start).toEqual(at('2021-02-07T00:00:00Z'));
  });

  it('intervalAt picks the interval containing a date; manual schedules get [date, date]', () => {
    expect(intervalAt(dag, at('2021-02-06T13:00:00Z'))).toEqual(feb6);
    expect(intervalAt(dag, at('2021-02-06T00:00:00Z'))).toEqual(feb6);
    expect(intervalAt(spec(null, '2021-02-05'), at('2021-02-06T13:00:00Z'))).toEqual({ start: at('2021-02-06T13:00:00Z'), end: at('2021-02-06T13:00:00Z') });
  });
});

describe('the core never reads the clock', () => {
  it('gives the same answers whatever Date.now() says', () => {
    const dag = spec('@hourly', '2021-02-05', { catchup: false });
    const realNow = Date.now;
    try {
      Date.now = () => {
        throw new Error('the schedule core read the clock');
      };
      expect(dueIntervals(dag, at('2021-02-05T05:30:00Z'))).toHaveLength(1);
      expect(backfillIntervals(dag, at('2021-02-05T00:00:00Z'), at('2021-02-05T05:00:00Z'))).toHaveLength(6);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('invalid inputs', () => {
  it('an invalid Date in the spec is named', () => {
    expect(() => dueIntervals({ ...spec('@daily', '2021-02-05'), startDate: new Date('nope') }, at('2021-03-01T00:00:00Z'))).toThrow(/startDate to be a valid Date/);
  });

  it('a bad cron throws with cron-parser\'s reason', () => {
    expect(() => nextDagrunInfo(spec('0 25 * * *', '2021-02-05'), null, {})).toThrow(/invalid cron schedule "0 25 \* \* \*": Constraint error/);
  });
});
