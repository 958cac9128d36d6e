import type { DataInterval } from '../dag/types.ts';

/** A date for reports: `2021-02-05` at midnight UTC, else `2021-02-05T02:00Z`. */
export function shortTime(d: Date): string {
  const iso = d.toISOString();
  if (iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return iso.replace(/:00\.000Z$/, 'Z').replace(/\.000Z$/, 'Z');
}

/** An interval by its logical date, as people name runs: `2021-02-05`. */
export function intervalLabel(i: DataInterval): string {
  return shortTime(i.start);
}

/** `[2021-02-05, 2021-02-08)` */
export function windowLabel(intervals: readonly DataInterval[]): string {
  if (intervals.length === 0) return '(no intervals)';
  return `[${shortTime(intervals[0]!.start)}, ${shortTime(intervals.at(-1)!.end)})`;
}

/** `1 interval`, `3 intervals` */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
