/** Name fragments that make a variable, extra or JSON key sensitive (close to Airflow's DEFAULT_SENSITIVE_FIELDS). */
const SENSITIVE_FRAGMENTS = [
  'password',
  'secret',
  'token',
  'api_key',
  'apikey',
  'private_key',
  'passphrase',
  'passwd',
  'authorization',
  'access_token',
];

/**
 * Whether a variable, extra or JSON key with this name holds a secret: it contains
 * password, secret, token, api_key, apikey, private_key, passphrase, passwd, authorization
 * or access_token, in any case. `apiKey`, `api-key` and `PRIVATE_KEY` count too
 * (camelCase and dashes are read as underscores).
 */
export function isSensitiveName(name: string): boolean {
  const lower = name.toLowerCase();
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/-/g, '_');
  return SENSITIVE_FRAGMENTS.some((f) => lower.includes(f) || snake.includes(f));
}

/**
 * Push the secret strings found in `value` onto `out`: all of it when `sensitive`,
 * else only what sits under sensitive keys of objects.
 */
export function collectSensitive(value: unknown, sensitive: boolean, out: string[]): void {
  if (value == null) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') {
    if (sensitive) out.push(String(value));
    return;
  }
  if (typeof value !== 'object') return;
  if (sensitive) out.push(JSON.stringify(value));
  if (Array.isArray(value)) {
    for (const item of value) collectSensitive(item, sensitive, out);
    return;
  }
  for (const [key, item] of Object.entries(value)) collectSensitive(item, sensitive || isSensitiveName(key), out);
}
