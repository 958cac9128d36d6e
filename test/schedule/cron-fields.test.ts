import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { compileCron } from '../../src/schedule/cron-fields.ts';
import { cronTimetable } from '../../src/schedule/timetable.ts';
import { timeZone } from '../../src/schedule/time-zone.ts';

/** cron-parser's own iteration, as the reference for zones and dates without DST trouble. */
function reference(expression: string, tz: string, from: number, steps: number): number[] {
  const it = CronExpressionParser.parse(expression, { currentDate: new Date(from), tz });
  return Array.from({ length: steps }, () => it.next().getTime());
}

function ours(expression: string, tz: string, from: number, steps: number): number[] {
  const tt = cronTimetable(compileCron(expression), timeZone(tz));
  const out: number[] = [];
  for (let t = from, k = 0; k < steps; k++) out.push((t = tt.next(t)));
  return out;
}

const EXPRESSIONS = [
  '0 0 * * *',
  '0 2 * * *',
  '*/15 * * * *',
  '5 4 * * SUN',
  '0 9-17 * * MON-FRI',
  '0 0 1,15 * *',
  '0 0 L * *',
  '0 12 * * 5L',
  '0 8 * * 2#3',
  '0 0 13 * 5',
  '0 0 29 2 *',
  '59 23 31 12 *',
  '0 6 ? JAN,JUL *',
  '*/7 */5 */3 * *',
];

describe('cron fields match cron-parser', () => {
  for (const tz of ['UTC', 'Asia/Seoul', 'Asia/Kolkata']) {
    it(`next() agrees with cron-parser in ${tz}`, () => {
      for (const expression of EXPRESSIONS) {
        const steps = expression === '0 0 29 2 *' ? 5 : 25;
        expect(ours(expression, tz, Date.UTC(2021, 1, 5, 3, 17), steps), expression).toEqual(reference(expression, tz, Date.UTC(2021, 1, 5, 3, 17), steps));
      }
    });
  }

  it('next() agrees with cron-parser across New York DST changes for fixed-time and hourly schedules', () => {
    for (const expression of ['0 0 * * *', '30 2 * * *', '0 * * * *', '30 1 * * *', '0 9 * * MON-FRI']) {
      expect(ours(expression, 'America/New_York', Date.UTC(2021, 2, 1), 200), expression).toEqual(
        reference(expression, 'America/New_York', Date.UTC(2021, 2, 1), 200),
      );
      const autumn = reference(expression, 'America/New_York', Date.UTC(2021, 10, 1), 200);
      // In the repeated hour cron-parser fires on the first 01:30; Airflow, and so dagbox, on the second (fold=1).
      if (expression === '30 1 * * *') autumn[autumn.indexOf(Date.UTC(2021, 10, 7, 5, 30))] = Date.UTC(2021, 10, 7, 6, 30);
      expect(ours(expression, 'America/New_York', Date.UTC(2021, 10, 1), 200), expression).toEqual(autumn);
    }
  });

  it('prevMatch walks back over the same wall times nextMatch walks forward', () => {
    for (const expression of EXPRESSIONS) {
      const c = compileCron(expression);
      const forward: number[] = [];
      for (let t = Date.UTC(2020, 0, 1), k = 0; k < 50; k++) forward.push((t = c.nextMatch(t)));
      const backward: number[] = [];
      for (let t = forward[forward.length - 1]! + 1, k = 0; k < 50; k++) backward.push((t = c.prevMatch(t)));
      expect(backward.reverse(), expression).toEqual(forward);
    }
  });
});

describe('expressions dagbox refuses', () => {
  it('six fields (seconds) are refused: croniter and cron-parser disagree on where seconds go', () => {
    expect(() => compileCron('0 0 0 * * *')).toThrow(/expected 5 fields .* found 6/);
  });

  it('hashed "H" values are refused: they would depend on a random seed', () => {
    expect(() => compileCron('H 2 * * *')).toThrow(/"H" \(hashed\)/);
    expect(() => compileCron('0 2 * * THU')).not.toThrow();
  });

  it("cron-parser's reason is kept", () => {
    expect(() => compileCron('0 0 31 2 *')).toThrow(/Invalid explicit day of month definition/);
    expect(() => compileCron('0 24 * * *')).toThrow(/Constraint error/);
  });
});
