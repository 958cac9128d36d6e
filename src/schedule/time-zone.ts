/**
 * Wall-clock arithmetic in an IANA time zone, built on `Intl` (no tz database of our own).
 *
 * A *wall time* is a local date-time encoded as the epoch milliseconds it would have in UTC:
 * `Date.UTC(2021, 2, 14, 2, 30)` stands for "2021-03-14 02:30 on the local clock". Cron fields
 * are matched against wall times; `resolve` turns a wall time back into real instants.
 */

const DAY_MS = 86_400_000;

/** Where a wall time lands on the real time line. */
export interface WallResolution {
  /**
   * The instants showing this wall time, ascending: one normally, two in a repeated (autumn)
   * hour. In a skipped (spring) hour there is none; then this holds the single instant read
   * with the offset in force before the jump, i.e. the wall time moved forward by the gap
   * (02:30 in a 02:00→03:00 gap becomes 03:30), as pendulum and Airflow do.
   */
  instants: number[];
  /** True when the wall time does not exist (it fell into a spring-forward gap). */
  skipped: boolean;
  /**
   * Size in ms of an offset change within a day of this wall time (a gap or a fold), else 0:
   * near it, wall-clock order and real-time order may disagree by up to this much.
   */
  shift: number;
}

/** A time zone's offset function and the wall-time conversions derived from it. */
export interface TimeZone {
  /** The canonical IANA name, e.g. `America/New_York`. */
  readonly name: string;
  /** Offset of local time from UTC at `instant`, in ms (New York in winter: -18000000). */
  offsetAt(instant: number): number;
  /** The wall time shown at `instant`. */
  toWall(instant: number): number;
  /** The instant(s) showing wall time `wall`; see {@link WallResolution}. */
  resolve(wall: number): WallResolution;
}

/**
 * The time zone named `name`, or a thrown Error saying so when `Intl` does not know it.
 *
 * ```ts
 * const ny = timeZone('America/New_York');
 * ny.offsetAt(Date.UTC(2021, 0, 1)); // -18000000
 * ```
 */
export function timeZone(name: string): TimeZone {
  if (name === 'UTC') return UTC;
  const format = offsetFormat(name);
  const canonical = format.resolvedOptions().timeZone;
  const offsetAt = isUtc(canonical) ? () => 0 : offsetMemo((instant) => parseOffset(format.format(instant), canonical));
  return {
    name: canonical,
    offsetAt,
    toWall: (instant) => instant + offsetAt(instant),
    resolve: (wall) => resolveWall(offsetAt, wall),
  };
}

/** The usual zone, without `Intl`: a process's first `Intl.DateTimeFormat` costs ~10 ms. */
const UTC: TimeZone = { name: 'UTC', offsetAt: () => 0, toWall: (instant) => instant, resolve: (wall) => ({ instants: [wall], skipped: false, shift: 0 }) };

function offsetFormat(name: string): Intl.DateTimeFormat {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new Error(`expected an IANA time zone such as "UTC", "America/New_York" or "Asia/Seoul", found ${JSON.stringify(name)}`);
  }
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  } catch {
    throw new Error(
      `time zone "${name}" is not an IANA time zone this Node.js knows; use a name such as "UTC", "America/New_York" or "Asia/Seoul"`,
    );
  }
}

function isUtc(name: string): boolean {
  return name === 'UTC' || name === 'Etc/UTC' || name === 'Etc/GMT' || name === 'GMT';
}

/** How many constant-offset spans one zone remembers; a backfill touches two places (its start and its cursor). */
const MEMO_SPANS = 4;

/**
 * Remember spans of time known to share one offset, so walking a schedule costs about one `Intl`
 * call per day instead of several per step. Two lookups at most a day apart that give the same
 * offset prove the whole span between has it, by the same rule as `resolveWall`: real zones never
 * change offset twice within a day. The memo belongs to one TimeZone value, never to the module.
 */
function offsetMemo(lookup: (instant: number) => number): (instant: number) => number {
  const spans: { lo: number; hi: number; offset: number }[] = [];
  let victim = 0;
  return (instant) => {
    for (const s of spans) if (instant >= s.lo && instant <= s.hi) return s.offset;
    for (const s of spans) {
      // Schedules walk forward or backward: probe a whole day ahead so one lookup serves many steps.
      if (instant > s.hi && instant - s.hi <= DAY_MS && lookup(s.hi + DAY_MS) === s.offset) return (s.hi += DAY_MS), s.offset;
      if (instant < s.lo && s.lo - instant <= DAY_MS && lookup(s.lo - DAY_MS) === s.offset) return (s.lo -= DAY_MS), s.offset;
    }
    const offset = lookup(instant);
    const span = { lo: instant, hi: instant, offset };
    if (spans.length < MEMO_SPANS) spans.push(span);
    else spans[(victim = (victim + 1) % MEMO_SPANS)] = span;
    return offset;
  };
}

const OFFSET = /GMT(?:([+-])(\d{1,2}):?(\d{2})?(?::?(\d{2}))?)?$/;

function parseOffset(text: string, zone: string): number {
  const m = OFFSET.exec(text);
  if (!m) throw new Error(`could not read the UTC offset of time zone "${zone}" from "${text}"; this Node.js build's Intl data may be incomplete`);
  if (!m[1]) return 0;
  const ms = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

/**
 * Offsets a day before and after bracket any transition near `wall` (real zones never change
 * offset twice within two days), so the candidates are `wall - before` and `wall - after`;
 * a candidate counts only when the zone really shows that offset at that instant.
 */
function resolveWall(offsetAt: (instant: number) => number, wall: number): WallResolution {
  const before = offsetAt(wall - DAY_MS);
  const after = offsetAt(wall + DAY_MS);
  if (before === after) return { instants: [wall - before], skipped: false, shift: 0 };
  const shift = Math.abs(after - before);
  const instants = [wall - before, wall - after].filter((i, k, all) => offsetAt(i) === (k === 0 ? before : after) && all.indexOf(i) === k);
  instants.sort((a, b) => a - b);
  if (instants.length > 0) return { instants, skipped: false, shift };
  return { instants: [wall - before], skipped: true, shift };
}
