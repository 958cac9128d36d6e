const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/g;

/**
 * A duration in milliseconds, from a number of ms or a string of number+unit parts: `'500ms'`,
 * `'30s'`, `'5m'`, `'1h'`, `'2d'`, `'1w'`, combined as `'1h30m'` or `'1h 30m'`. Throws an Error
 * saying what was expected otherwise (a bare `'500'` is refused: its unit would be a guess).
 *
 * ```ts
 * parseDuration('1h30m'); // 5400000
 * parseDuration(250);     // 250
 * ```
 */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
    throw durationError(value);
  }
  if (typeof value !== 'string') throw durationError(value);
  const text = value.trim().toLowerCase();
  if (!DURATION.test(text)) throw durationError(value);
  let total = 0;
  // matchAll works on a copy of the regex, so the shared pattern's lastIndex never changes.
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(total);
}

function durationError(value: unknown): Error {
  return new Error(
    `expected a duration: milliseconds as a number >= 0, or a string such as '500ms', '30s', '5m', '1h', '2d' or '1h30m'; found ${typeof value === 'string' ? `'${value}'` : String(value)}`,
  );
}
