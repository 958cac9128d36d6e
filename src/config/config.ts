/**
 * src/config/: the project's settings (`dagbox.config.ts`), Airflow-style connections and
 * variables, and which names hold secrets (sensitive.ts).
 *
 * May import: shared/; types from dag/ and verify/ (the layers are checked by
 * .dependency-cruiser.cjs).
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import type { VerifySettings } from '../verify/types.ts';
import type { Connection } from './connection.ts';

/** How to provide one service: `auto` tries containers, then local processes, then a given URL. */
export type ServiceMode = 'auto' | 'containers' | 'local' | 'external';

/**
 * The project's settings, from `dagbox.config.ts` (all optional).
 *
 * ```ts
 * // dagbox.config.ts
 * import { defineConfig } from 'dagbox';
 * export default defineConfig({ variables: { slack_webhook: 'http://127.0.0.1:9/hook' }, now: '2021-02-10' });
 * ```
 */
export interface DagboxConfig {
  /** Folder of DAG files. Default `dags`. */
  dags?: string;
  /** Folder of fixtures. Default `fixtures`. */
  fixtures?: string;
  /** Where run history and reports go. Default `.dagbox`. */
  stateDir?: string;
  /** Variables (`Variable.get`); `DAGBOX_VAR_<KEY>` overrides. */
  variables?: Record<string, unknown>;
  /** Connections by id, as Airflow URIs or objects; `DAGBOX_CONN_<ID>` overrides. */
  connections?: Record<string, string | Connection>;
  /**
   * Which images the containers provider runs: `official` (pinned in docker/images.json, the default) or
   * `local` (built on this machine from Debian 12 packages with `npx dagbox images build`, for machines
   * that cannot pull). DAGBOX_IMAGES overrides it.
   */
  images?: 'official' | 'local';
  /** How each service is provided; `--services` overrides. */
  services?: Partial<Record<'mysql' | 'postgres' | 's3', ServiceMode>>;
  /** Simulated "now" for dev and test, e.g. `'2021-02-10'`. Default: the real time. */
  now?: string;
  /** How many of the latest due intervals dev and test run per DAG. Default 3. */
  window?: number;
  /** Verification settings for every DAG (ignore lists, keys, event-time columns); a DAG's own `verify` wins per table. */
  verify?: VerifySettings;
  /** Pools and their slots (Airflow's pools), for tasks' `pool` argument; `default_pool` has 128 unless given. */
  pools?: Record<string, number>;
}

/** Identity function that gives `dagbox.config.ts` its types. */
export function defineConfig(config: DagboxConfig): DagboxConfig {
  return config;
}

export const CONFIG_FILE = 'dagbox.config.ts';

/** Read `dagbox.config.ts` from `cwd` (none: all defaults). A config that fails to load is an error naming the file. */
export async function loadConfig(cwd: string = process.cwd()): Promise<{ config: DagboxConfig; file: string | null }> {
  const file = resolve(cwd, CONFIG_FILE);
  try {
    await access(file);
  } catch {
    return { config: {}, file: null };
  }
  try {
    // A fresh namespace per load (no `?namespace=` inherited from this module's URL): a changed config is re-read.
    const mod = (await tsImport(pathToFileURL(file).href, import.meta.url.split('?')[0]!)) as { default?: DagboxConfig };
    const config = mod.default;
    if (!config || typeof config !== 'object') {
      throw new Error('it must default-export an object: `export default defineConfig({ ... })`');
    }
    return { config, file };
  } catch (error) {
    throw new Error(`${CONFIG_FILE} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
}
