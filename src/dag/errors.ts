/**
 * Thrown by a task to end it `skipped` instead of failed (Airflow's AirflowSkipException). Its
 * downstream tasks then follow their trigger rules: with `all_success` they are skipped too.
 *
 * ```ts
 * dag.task('maybe', (ctx) => {
 *   if (ctx.ds < '2021-02-06') throw new SkipError(`no data before 2021-02-06 (ds ${ctx.ds})`);
 * });
 * ```
 */
export class SkipError extends Error {
  override name = 'SkipError';
}

/**
 * Thrown by a task to fail it at once, without its remaining retries (Airflow's
 * AirflowFailException): for errors that a retry cannot fix, such as bad credentials.
 */
export class FailError extends Error {
  override name = 'FailError';
}

/** A sensor's timeout passed (Airflow's AirflowSensorTimeout): the task fails without retries, or is skipped with softFail. */
export class SensorTimeoutError extends FailError {
  override name = 'SensorTimeoutError';
}

/** Airflow's exception names, for ported code: `throw new AirflowSkipException(...)`. */
export { SkipError as AirflowSkipException, FailError as AirflowFailException, SensorTimeoutError as AirflowSensorTimeout };

/** True for a SkipError from any loaded copy of dagbox (DAG files may load their own). */
export function isSkip(error: unknown): boolean {
  return error instanceof SkipError || (error instanceof Error && (error.name === 'SkipError' || error.name === 'AirflowSkipException'));
}

/** True for a FailError (or SensorTimeoutError) from any loaded copy of dagbox. */
export function isFailNow(error: unknown): boolean {
  return (
    error instanceof FailError ||
    (error instanceof Error && ['FailError', 'SensorTimeoutError', 'AirflowFailException', 'AirflowSensorTimeout'].includes(error.name))
  );
}
