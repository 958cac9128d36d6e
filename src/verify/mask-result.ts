import type { Masker } from '../run/masker.ts';

/**
 * A copy of a verification result with every known secret masked in every string it holds:
 * messages, hints and the table values of its row-level diffs (a task may write a secret
 * Variable, a connection password or the session's own password into a table). Everything the
 * terminal, the reports and JUnit print comes from this copy.
 *
 * ```ts
 * maskResult({ rows: [{ token: 's3cret!' }] }, masker); // { rows: [{ token: '***' }] }
 * ```
 */
export function maskResult<T>(value: T, masker: Masker): T {
  if (masker.size === 0) return value;
  return maskValue(value, masker, new WeakMap()) as T;
}

function maskValue(value: unknown, masker: Masker, seen: WeakMap<object, unknown>): unknown {
  if (typeof value === 'string') return masker.mask(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(maskValue(item, masker, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(maskValue(k, masker, seen), maskValue(v, masker, seen));
    return out;
  }
  // Dates, buffers and class instances are values, not containers of text: kept as they are.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, masker, seen);
  return out;
}
