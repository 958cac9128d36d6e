import type { Variables } from '../dag/types.ts';
import { collectSensitive, isSensitiveName } from './sensitive.ts';

const ENV_PREFIX = 'DAGBOX_VAR_';
/** Read first, so that `DAGBOX_VAR_<KEY>` wins over Airflow's own `AIRFLOW_VAR_<KEY>`. */
const ENV_PREFIXES = ['AIRFLOW_VAR_', ENV_PREFIX] as const;

/** Variables as {@link createVariables} makes them: readable by key and listable (for masking and `dagbox variables`). */
export interface VariableRegistry extends Variables {
  /** Every variable with its effective value (environment overrides applied), sorted by key. */
  entries(): [string, unknown][];
  keys(): string[];
}

/**
 * Airflow Variables from `dagbox.config.ts` and the environment.
 *
 * - `DAGBOX_VAR_<KEY>` (key upper-cased) overrides the config value of `<key>`, and so does
 *   Airflow's own `AIRFLOW_VAR_<KEY>` (when both are set, `DAGBOX_VAR_` wins); a variable
 *   set only in the environment is known under its lower-cased name, and `get` accepts any case.
 * - Environment values are text: when the text is JSON (an object, array, string in quotes,
 *   true/false/null, or a number that reads back the same), it comes parsed;
 *   `1.10` or `007` stay text. Config values are used as given: they are already typed.
 * - `get(key)` of a missing variable without a fallback throws a sentence that says how to set it.
 *
 * ```ts
 * const vars = createVariables({ region: 'ap-northeast-2' }, { DAGBOX_VAR_LIMITS: '{"rows": 10}' });
 * vars.get('limits'); // { rows: 10 }
 * vars.get('missing', 'default'); // 'default'
 * ```
 */
export function createVariables(values: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): VariableRegistry {
  const store = new Map<string, unknown>(Object.entries(values));
  const byUpper = new Map<string, string>([...store.keys()].map((k) => [k.toUpperCase(), k]));
  for (const prefix of ENV_PREFIXES) {
    for (const [name, text] of Object.entries(env)) {
      if (!name.startsWith(prefix) || text === undefined) continue;
      const upper = name.slice(prefix.length).toUpperCase();
      if (upper === '') continue;
      const key = byUpper.get(upper) ?? upper.toLowerCase();
      byUpper.set(upper, key);
      store.set(key, parseEnvValue(text));
    }
  }
  const resolve = (key: string): string | undefined => (store.has(key) ? key : byUpper.get(key.toUpperCase()));
  return {
    get<T = unknown>(key: string, fallback?: T): T {
      const found = resolve(key);
      if (found !== undefined) return store.get(found) as T;
      if (fallback !== undefined) return fallback;
      throw new Error(
        `variable "${key}" is not set: add it to dagbox.config.ts variables or set ${ENV_PREFIX}${key.toUpperCase()}`,
      );
    },
    has: (key) => resolve(key) !== undefined,
    keys: () => [...store.keys()].sort(),
    entries: () => [...store.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/** Parse an environment value as JSON when that loses nothing; else keep the text. */
export function parseEnvValue(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return text;
  const first = trimmed[0]!;
  const structured = first === '{' || first === '[' || first === '"' || trimmed === 'true' || trimmed === 'false' || trimmed === 'null';
  const numeric = /^-?\d/.test(trimmed);
  if (!structured && !numeric) return text;
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'number' && String(parsed) !== trimmed) return text;
    return parsed;
  } catch {
    return text;
  }
}

/**
 * The secret values among some variables, for the masker: the whole value of every
 * variable with a sensitive name (see `isSensitiveName`), and, inside JSON values, every
 * value under a sensitive key.
 */
export function sensitiveValues(vars: Pick<VariableRegistry, 'entries'>): string[] {
  const out: string[] = [];
  for (const [key, value] of vars.entries()) collectSensitive(value, isSensitiveName(key), out);
  return out;
}
