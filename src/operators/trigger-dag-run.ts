import type { Operator } from '../dag/types.ts';
import { parseDate } from '../schedule/index.ts';
import { fieldWhere } from './operator-support.ts';

/** Arguments of {@link triggerDagRun} (Airflow's TriggerDagRunOperator). */
export interface TriggerDagRunArgs {
  /** The DAG to run, templated. */
  triggerDagId: string;
  /** `dag_run.conf` of the new run; string values are templated (`{ day: '{{ ds }}' }`). */
  conf?: Record<string, unknown>;
  /** Logical date of the new run, templated (`'{{ ds }}'`, UTC unless it has an offset); default the run clock's time. */
  logicalDate?: string;
  /** Run it now and fail this task unless it succeeds; default false: it runs after this run, as the scheduler would. */
  waitForCompletion?: boolean;
}

/**
 * Airflow's TriggerDagRunOperator: start a run of another DAG with a conf. dagbox runs it in the
 * same process, after the current run (or at once with `waitForCompletion`), as a manual run
 * whose data interval is the one ending at its logical date, exactly as `dagbox dags trigger`.
 *
 * ```ts
 * dag.task('kick_report', triggerDagRun({ triggerDagId: 'course_summary', conf: { day: '{{ ds }}' } }));
 * ```
 */
export function triggerDagRun(args: TriggerDagRunArgs): Operator<TriggerDagRunArgs> {
  return {
    kind: 'triggerDagRun',
    args,
    templateFields: ['triggerDagId', 'conf', 'logicalDate'],
    async execute(ctx, a) {
      if (typeof a.triggerDagId !== 'string' || a.triggerDagId.trim() === '') {
        throw new Error(`${fieldWhere(ctx, 'triggerDagId')}: expected the id of the DAG to trigger, found ${JSON.stringify(a.triggerDagId)}`);
      }
      const conf = a.conf ?? {};
      if (conf === null || typeof conf !== 'object' || Array.isArray(conf)) throw new Error(`${fieldWhere(ctx, 'conf')}: expected an object, found ${JSON.stringify(conf)}`);
      let logicalDate: Date | undefined;
      if (a.logicalDate !== undefined) {
        try {
          logicalDate = parseDate(a.logicalDate, 'UTC');
        } catch (error) {
          throw new Error(`${fieldWhere(ctx, 'logicalDate')}: ${(error as Error).message}`, { cause: error });
        }
      }
      await ctx.triggerDagRun(a.triggerDagId, { conf, logicalDate, waitForCompletion: a.waitForCompletion === true });
      ctx.log.info(`${a.waitForCompletion ? 'ran' : 'triggered'} DAG "${a.triggerDagId}"${logicalDate ? ` at ${logicalDate.toISOString()}` : ''} with conf ${JSON.stringify(conf)}`);
      return { triggeredDagId: a.triggerDagId };
    },
  };
}
