/**
 * The shared benchmark reporter. Every benchmark exports `main(args)`, measures, and calls
 * {@link report}: a table for people, or with `--json` exactly
 * `{ name, figures: [{ figure, value, unit, baseline, ratio, target, pass }] }`.
 *
 * ```ts
 * export async function main(args: string[]): Promise<number> {
 *   const value = await measure();
 *   return report({ name: 'executor', figures: [figure({ figure: 'overhead per task', value, unit: 'ms', baseline: 0.001, target: { below: 1 } })] }, args);
 * }
 * ```
 */

/** A target a figure must meet: strictly below or strictly above a bound, in the figure's unit. */
export type Target = { below: number } | { above: number };

/** One measured figure, as printed with `--json`. */
export interface Figure {
  figure: string;
  value: number;
  unit: string;
  /** The same quantity measured for the baseline in the same run, or null. */
  baseline: number | null;
  /** `value / baseline`, or null without a baseline. */
  ratio: number | null;
  /** `'< 1'` or `'> 100'` (in `unit`), or null when the figure is informative only. */
  target: string | null;
  /** Whether the target is met (true when there is no target). */
  pass: boolean;
}

/** A benchmark's result, as printed with `--json`. */
export interface BenchResult {
  name: string;
  figures: Figure[];
}

/** Build a figure: ratio and pass are computed from value, baseline and target. */
export function figure(f: { figure: string; value: number; unit: string; baseline?: number | null; target?: Target | null }): Figure {
  const baseline = f.baseline ?? null;
  const target = f.target ?? null;
  return {
    figure: f.figure,
    value: round(f.value),
    unit: f.unit,
    baseline: baseline === null ? null : round(baseline),
    ratio: baseline === null || baseline === 0 ? null : round(f.value / baseline),
    target: target === null ? null : 'below' in target ? `< ${target.below}` : `> ${target.above}`,
    pass: target === null ? true : 'below' in target ? f.value < target.below : f.value > target.above,
  };
}

/** Flags every benchmark understands, plus `--name value` / `--name=value` pairs it reads itself. */
export function parseArgs(args: string[]): { json: boolean; flags: Map<string, string | true> } {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}": benchmark flags look like --name or --name=value`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const next = args[i + 1];
    if (inline !== undefined) flags.set(key, inline);
    else if (next !== undefined && !next.startsWith('--')) flags.set(key, args[++i]!);
    else flags.set(key, true);
  }
  return { json: flags.get('json') === true, flags };
}

/** A numeric flag, or the default; a flag that is not a positive number is an error. */
export function numberFlag(flags: Map<string, string | true>, name: string, fallback: number): number {
  const raw = flags.get(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw === true || !Number.isFinite(n) || n <= 0) throw new Error(`--${name} expects a positive number, got ${String(raw)}`);
  return n;
}

/**
 * Print the result (a table, or JSON with `--json`) with `notes` as extra lines in table mode,
 * and return the exit code: 0 when every figure passes, 1 otherwise.
 */
export function report(result: BenchResult, args: string[], notes: string[] = []): number {
  const { json } = parseArgs(args);
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else process.stdout.write(`${table(result, notes)}\n`);
  return result.figures.every((f) => f.pass) ? 0 : 1;
}

function table(result: BenchResult, notes: string[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'pass'];
  const rows = result.figures.map((f) => [
    f.figure,
    `${fmt(f.value)} ${f.unit}`,
    f.baseline === null ? '-' : `${fmt(f.baseline)} ${f.unit}`,
    f.ratio === null ? '-' : `${fmt(f.ratio)}x`,
    f.target === null ? '-' : `${f.target} ${f.unit}`,
    f.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`bench ${result.name}`, ...notes.map((n) => `  ${n}`), '', line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function round(n: number): number {
  return Number(n.toPrecision(4));
}

function fmt(n: number): string {
  return Math.abs(n) >= 1000 ? n.toFixed(0) : String(n);
}
