/**
 * The values a template sees for one DAG run, with Airflow's names. Build it with
 * {@link templateScope}; dates are strings formatted in UTC as Airflow's context prints them.
 */
export interface TemplateScope {
  /** Logical date as `YYYY-MM-DD` (UTC). */
  ds: string;
  /** Logical date as `YYYYMMDD`. */
  ds_nodash: string;
  /** Logical date as `2021-02-05T00:00:00+00:00`. */
  ts: string;
  logical_date: string;
  /** Alias of `logical_date` (Airflow 1's name). */
  execution_date: string;
  data_interval_start: string;
  data_interval_end: string;
  /** ds of the previous scheduled interval, or null (rendered as `null`). */
  prev_ds: string | null;
  /** ds of the next scheduled interval, or null (rendered as `null`). */
  next_ds: string | null;
  params: Record<string, unknown>;
  /** The DAG run: `dag_run.conf` is what it was triggered with (`{}` when nothing), `dag_run.run_id` its id. */
  dag_run?: { conf: Record<string, unknown>; run_id: string };
  /** `var.value.KEY` lookups; throws when the variable is missing. */
  var: { value: (key: string) => unknown };
}

/**
 * A template that cannot be rendered or checked: bad syntax, an unknown name, a failing macro or
 * a missing variable. The message names the place (`where`) and the expression.
 */
export class TemplateError extends Error {
  /** Where the template lives, e.g. `task "load" field "sql"`. */
  readonly where: string;
  /** The `{{ ... }}` expression at fault, when there is one. */
  readonly expression: string | undefined;
  /** The unknown name, for unknown-name errors (e.g. `dss`, `params.tabel`). */
  readonly unknownName: string | undefined;

  constructor(message: string, details: { where: string; expression?: string; unknownName?: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TemplateError';
    this.where = details.where;
    this.expression = details.expression;
    this.unknownName = details.unknownName;
  }
}
