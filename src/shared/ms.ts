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

/**
 * A span of (simulated) time for people, in Airflow's units: `300ms`, `5m`, `1h30m`, `2d`.
 *
 * ```ts
 * clockDuration(5_400_000); // '1h30m'
 * ```
 */
export function clockDuration(value: number): string {
  if (value < 1000) return `${value}ms`;
  const parts: string[] = [];
  let rest = Math.round(value / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
