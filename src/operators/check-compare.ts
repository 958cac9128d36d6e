/**
 * A condition a measured value must meet, with Airflow's SQLColumnCheckOperator keys (snake_case
 * as in Airflow, camelCase accepted too): `{ equal_to: 0 }`, `{ geq_to: 1, leq_to: 10 }`,
 * `{ equal_to: 1000, tolerance: 0.1 }`.
 */
export interface CheckCondition {
  equal_to?: number | string;
  greater_than?: number | string;
  geq_to?: number | string;
  less_than?: number | string;
  leq_to?: number | string;
  /** A fraction: bounds widen by it (`equal_to: 100, tolerance: 0.1` accepts 90..110). Numbers only. */
  tolerance?: number;
  equalTo?: number | string;
  greaterThan?: number | string;
  geqTo?: number | string;
  lessThan?: number | string;
  leqTo?: number | string;
}

const KEYS = ['equal_to', 'greater_than', 'geq_to', 'less_than', 'leq_to'] as const;
type Key = (typeof KEYS)[number];
const CAMEL: Record<Key, keyof CheckCondition> = { equal_to: 'equalTo', greater_than: 'greaterThan', geq_to: 'geqTo', less_than: 'lessThan', leq_to: 'leqTo' };

/** The condition with camelCase keys read as snake_case; an error when it sets no bound. */
export function normalizeCondition(condition: CheckCondition, where: string): { bounds: Partial<Record<Key, number | string>>; tolerance: number | null } {
  const bounds: Partial<Record<Key, number | string>> = {};
  for (const key of KEYS) {
    const value = condition[key] ?? condition[CAMEL[key]];
    if (value !== undefined) bounds[key] = value as number | string;
  }
  const unknown = Object.keys(condition).filter((k) => !(KEYS as readonly string[]).includes(k) && !Object.values(CAMEL).includes(k as keyof CheckCondition) && k !== 'tolerance');
  if (unknown.length > 0) throw new Error(`${where}: unknown condition key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; use ${KEYS.join(', ')} and tolerance`);
  if (Object.keys(bounds).length === 0) throw new Error(`${where}: the condition sets no bound; give one of ${KEYS.join(', ')}`);
  return { bounds, tolerance: condition.tolerance ?? null };
}

/**
 * Whether `measured` meets the condition, with Airflow's tolerance rules: lower bounds are
 * multiplied by (1 - tolerance), upper bounds by (1 + tolerance), and `equal_to` becomes the range
 * between the two. Numbers compare as numbers (numeric text counts as a number); other values
 * (dates, text) compare as text, exactly.
 */
export function meets(measured: unknown, condition: ReturnType<typeof normalizeCondition>): boolean {
  const { bounds, tolerance } = condition;
  const t = tolerance ?? 0;
  const value = comparable(measured);
  const low = (b: number | string) => (typeof b === 'number' && typeof value === 'number' ? b * (1 - t) : b);
  const high = (b: number | string) => (typeof b === 'number' && typeof value === 'number' ? b * (1 + t) : b);
  const cmp = (a: number | string, b: number | string) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);
  let ok = true;
  if (bounds.geq_to !== undefined) ok &&= cmp(value, low(bounds.geq_to)) >= 0;
  if (bounds.greater_than !== undefined) ok &&= cmp(value, low(bounds.greater_than)) > 0;
  if (bounds.leq_to !== undefined) ok &&= cmp(value, high(bounds.leq_to)) <= 0;
  if (bounds.less_than !== undefined) ok &&= cmp(value, high(bounds.less_than)) < 0;
  if (bounds.equal_to !== undefined) {
    ok &&= tolerance === null || typeof value !== 'number' ? cmp(value, bounds.equal_to) === 0 : cmp(value, low(bounds.equal_to)) >= 0 && cmp(value, high(bounds.equal_to)) <= 0;
  }
  return ok;
}

/** `equal_to 0`, `geq_to 1, leq_to 10 (tolerance 0.1)`: the condition as people read it. */
export function describeCondition(condition: ReturnType<typeof normalizeCondition>): string {
  const parts = Object.entries(condition.bounds).map(([k, v]) => `${k} ${typeof v === 'string' ? JSON.stringify(v) : v}`);
  return `${parts.join(', ')}${condition.tolerance !== null ? ` (tolerance ${condition.tolerance})` : ''}`;
}

function comparable(value: unknown): number | string {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  const text = String(value);
  return /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text.trim()) ? Number(text) : text;
}
