import type { DataInterval } from '../dag/types.ts';
import { formatDs, formatDsNodash, formatTs } from '../schedule/format.ts';
import type { TemplateScope } from './types.ts';

/**
 * The template values of one DAG run, as Airflow's context has them: the logical date is the
 * interval start, and every date is printed in UTC (`ds` of a Seoul-midnight run is the day
 * before in Seoul terms, exactly as in Airflow).
 *
 * ```ts
 * const scope = templateScope({
 *   interval: { start: new Date('2021-02-05T00:00:00Z'), end: new Date('2021-02-06T00:00:00Z') },
 *   prevDs: '2021-02-04', nextDs: '2021-02-06', params: { table: 'nps' }, variable: (k) => vars.get(k),
 * });
 * scope.ds; // '2021-02-05'
 * ```
 */
export function templateScope(input: {
  interval: DataInterval;
  /** The run's logical date when it is not the interval start (a manual run); default `interval.start`. */
  logicalDate?: Date;
  prevDs: string | null;
  nextDs: string | null;
  params: Record<string, unknown>;
  variable: (key: string) => unknown;
  /** The run's conf and id, for `dag_run.conf` / `dag_run.run_id`. */
  dagRun?: { conf: Record<string, unknown>; runId: string };
}): TemplateScope {
  const { interval } = input;
  const logicalDate = input.logicalDate ?? interval.start;
  const logical = formatTs(logicalDate);
  return {
    ds: formatDs(logicalDate),
    ds_nodash: formatDsNodash(logicalDate),
    ts: logical,
    logical_date: logical,
    execution_date: logical,
    data_interval_start: formatTs(interval.start),
    data_interval_end: formatTs(interval.end),
    prev_ds: input.prevDs,
    next_ds: input.nextDs,
    params: input.params ?? {},
    ...(input.dagRun ? { dag_run: { conf: input.dagRun.conf, run_id: input.dagRun.runId } } : {}),
    var: { value: input.variable },
  };
}
