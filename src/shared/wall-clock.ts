/**
 * The task-context member through which verification runs the decisions of a run (branch,
 * short-circuit and latest-only bodies, pokes of custom sensors) under a moved wall clock:
 * `(fn) => Promise`. Absent in normal runs.
 */
export const WALL_CLOCK_PROBE = 'dagboxWallClockProbe';

/** What verification puts under {@link WALL_CLOCK_PROBE}. */
export type WallClockProbe = <T>(fn: () => T | Promise<T>) => Promise<T>;

/**
 * Run `fn` with the process's wall clock (`Date.now()`, `new Date()`, `Date()`) moved by
 * `shiftMs`. Dates built from a value, and dagbox's run clock, are untouched: only code that
 * asks the machine for the time sees the move.
 */
export async function withWallClockShifted<T>(shiftMs: number, fn: () => Promise<T>): Promise<T> {
  // Nested or overlapping calls share one replacement, and the last to end restores the real Date.
  if (shifted.depth === 0) {
    shifted.real = globalThis.Date;
    globalThis.Date = movedDate(shifted.real, shiftMs);
  }
  shifted.depth++;
  try {
    return await fn();
  } finally {
    if (--shifted.depth === 0) globalThis.Date = shifted.real!;
  }
}

/** The one replacement of the process's Date while some decision runs under a moved clock (Date itself is process-wide). */
const shifted: { depth: number; real: DateConstructor | null } = { depth: 0, real: null };

function movedDate(Real: DateConstructor, shiftMs: number): DateConstructor {
  return new Proxy(Real, {
    construct: (target, args: unknown[]) => (args.length === 0 ? new target(Real.now() + shiftMs) : new target(...(args as [string]))),
    apply: () => new Real(Real.now() + shiftMs).toString(),
    get: (target, prop, receiver) => (prop === 'now' ? () => Real.now() + shiftMs : Reflect.get(target, prop, receiver)),
  });
}

/** Run `fn` through the context's wall-clock probe, if verification set one. */
export async function underProbe<T>(ctx: Record<string, unknown>, fn: () => T | Promise<T>): Promise<T> {
  const probe = ctx[WALL_CLOCK_PROBE] as WallClockProbe | undefined;
  return probe ? probe(fn) : fn();
}
