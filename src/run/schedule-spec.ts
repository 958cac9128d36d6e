import type { Dag } from '../dag/dag.ts';
import { parseDate } from '../schedule/index.ts';
import type { ScheduleSpec } from '../schedule/index.ts';

/** The schedule inputs of a DAG, parsed in its time zone (the DAG passed validation, so they parse). */
export function scheduleSpecOf(dag: Dag): ScheduleSpec {
  const o = dag.options;
  const timezone = o.timezone ?? 'UTC';
  return {
    schedule: o.schedule ?? null,
    startDate: parseDate(o.startDate, timezone),
    endDate: o.endDate !== undefined ? parseDate(o.endDate, timezone) : null,
    timezone,
    catchup: o.catchup ?? true,
  };
}
