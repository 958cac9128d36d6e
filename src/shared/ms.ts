/**
 * A duration in milliseconds for people: `120ms` below a second, `1.23s` below ten, `12.3s` above.
 *
 * ```ts
 * ms(1234); // '1.23s'
 * ```
 */
export function ms(value: number): string {
  return value < 1000 ? `${Math.round(value)}ms` : `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)}s`;
}
