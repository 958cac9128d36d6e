import { createHash } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { SensorTimeoutError, SkipError, isSkip } from '../dag/errors.ts';
import type { Duration, Operator, TaskContext } from '../dag/types.ts';
import { parseDuration } from '../schedule/index.ts';
import { checkRow } from './check-query.ts';
import { resolveBucket } from './operator-support.ts';
import type { SqlParameters } from '../template/sql-template.ts';
import { withSqlTarget } from './sql-target.ts';
import { underProbe } from '../shared/wall-clock.ts';
import { clockDuration } from '../shared/ms.ts';

/** Arguments every sensor takes (Airflow's BaseSensorOperator). */
export interface SensorArgs {
  /** Time between pokes (default 60s). */
  pokeInterval?: Duration;
  /** Give up after this long since the first poke (default 7 days): the task fails without retries, or is skipped with softFail. */
  timeout?: Duration;
  /** `poke` keeps its slot while waiting; `reschedule` shows the task `up_for_reschedule` between pokes. */
  mode?: 'poke' | 'reschedule';
  /** Skip instead of failing on a timeout or a poke error. */
  softFail?: boolean;
  /** Wait longer after each poke: Airflow's formula (pokeInterval x 2^(n-2), plus a hash-spread part). */
  exponentialBackoff?: boolean;
  /** Upper bound of a wait with exponentialBackoff. */
  maxWait?: Duration;
}

/** What a poke may return: done or not, with an optional value to push to XCom (Airflow's PokeReturnValue). */
export type PokeResult = boolean | { isDone: boolean; xcomValue?: unknown };

/** Pokes logged in full; later ones are summed up, so a week of one-minute pokes stays readable. */
const LOGGED_POKES = 5;

/**
 * Make a sensor: an operator that calls `poke` until it returns true, waiting between pokes on
 * the run's clock. On the virtual clock of `dagbox dev`, `test` and `dags test`, a wait of a
 * day takes no real time: the clock moves (once the run's other running tasks have settled),
 * and the log shows each simulated wait.
 *
 * ```ts
 * const fileReady = (args: { path: string } & SensorArgs) => sensor('fileReady', args, ['path'], async (ctx, a) => existsSync(a.path));
 * ```
 */
export function sensor<A extends SensorArgs>(
  kind: string,
  args: A,
  templateFields: readonly (keyof A & string)[],
  poke: (ctx: TaskContext, args: A) => PokeResult | Promise<PokeResult>,
): Operator<A> {
  // Verification pokes a custom sensor under a moved wall clock, to catch pokes that read Date.now().
  return { kind, args, templateFields, execute: (ctx, a) => runSensor(ctx, a, (c, x) => underProbe(c, () => poke(c, x))) };
}

/** dagbox's own sensors: they read only the run's clock, and their S3 requests must be signed with the real time. */
function builtinSensor<A extends SensorArgs>(
  kind: string,
  args: A,
  templateFields: readonly (keyof A & string)[],
  poke: (ctx: TaskContext, args: A) => PokeResult | Promise<PokeResult>,
): Operator<A> {
  return { kind, args, templateFields, execute: (ctx, a) => runSensor(ctx, a, poke) };
}

async function runSensor<A extends SensorArgs>(ctx: TaskContext, a: A, poke: (ctx: TaskContext, args: A) => PokeResult | Promise<PokeResult>): Promise<unknown> {
  const interval = seconds(a.pokeInterval, 60, ctx, 'pokeInterval');
  const timeout = seconds(a.timeout, 7 * 86_400, ctx, 'timeout');
  const maxWait = a.maxWait === undefined ? null : seconds(a.maxWait, 0, ctx, 'maxWait');
  const mode = a.mode ?? 'poke';
  if (mode !== 'poke' && mode !== 'reschedule') throw new Error(`sensor "${ctx.taskId}": mode must be 'poke' or 'reschedule', got ${JSON.stringify(mode)}`);
  const startedAt = ctx.now();
  const elapsed = () => (ctx.now().getTime() - startedAt.getTime()) / 1000;
  let waitedMs = 0;
  for (let n = 1; ; n++) {
    let result: PokeResult;
    try {
      result = await poke(ctx, a);
    } catch (error) {
      if (isSkip(error)) throw error;
      if (a.softFail) throw new SkipError(`Skipping due to soft_fail is set to True. (${(error as Error)?.message ?? String(error)})`, { cause: error });
      throw error;
    }
    const done = typeof result === 'object' && result !== null ? result.isDone : Boolean(result);
    if (done) {
      if (n > LOGGED_POKES) ctx.log.info(`Poked ${n} times over ${clockDuration(waitedMs)} of simulated time`);
      ctx.log.info('Success criteria met. Exiting.');
      return typeof result === 'object' && result !== null ? result.xcomValue : undefined;
    }
    if (elapsed() > timeout) {
      const message = `Sensor has timed out; run duration of ${elapsed()} seconds exceeds the specified timeout of ${timeout}.`;
      if (n > LOGGED_POKES) ctx.log.info(`Poked ${n} times over ${clockDuration(waitedMs)}`);
      if (a.softFail) throw new SkipError(message);
      throw new SensorTimeoutError(message);
    }
    // In reschedule mode every poke is a fresh execute() in Airflow, whose poke count restarts at 1.
    const next = nextPokeSeconds(ctx, a, interval, timeout, maxWait, startedAt, elapsed(), mode === 'reschedule' ? 1 : n);
    if (n <= LOGGED_POKES) {
      const until = new Date(ctx.now().getTime() + next * 1000).toISOString();
      ctx.log.info(`Poke ${n}: not yet; ${mode === 'reschedule' ? 'rescheduled' : 'sleeping'} ${clockDuration(next * 1000)} until ${until} (on the run's clock)`);
    }
    waitedMs += next * 1000;
    await ctx.sleep(next * 1000, { reschedule: mode === 'reschedule' });
  }
}

/** Airflow 2.8.1's BaseSensorOperator._get_next_poke_interval, with the run's clock for started_at. */
function nextPokeSeconds(ctx: TaskContext, a: SensorArgs, interval: number, timeout: number, maxWait: number | null, startedAt: Date, runSeconds: number, n: number): number {
  if (!a.exponentialBackoff) return interval;
  const minBackoff = Math.max(Math.floor(interval * 2 ** (n - 2)), 1);
  const hash = BigInt(`0x${createHash('sha1').update(`${ctx.dagId}#${ctx.taskId}#${startedAt.toISOString()}#${n}`).digest('hex')}`);
  const modded = minBackoff + Number(hash % BigInt(minBackoff));
  let next = Math.min(timeout - Math.floor(runSeconds), modded);
  if (maxWait !== null) next = Math.min(maxWait, next);
  ctx.log.info(`new ${a.mode ?? 'poke'} interval is ${next}`);
  return Math.max(next, 0);
}

function seconds(value: Duration | undefined, fallback: number, ctx: TaskContext, name: string): number {
  if (value === undefined) return fallback;
  try {
    return parseDuration(value) / 1000;
  } catch (error) {
    throw new Error(`sensor "${ctx.taskId}": ${name} is invalid: ${(error as Error).message}`, { cause: error });
  }
}


/** Arguments of {@link s3KeySensor} (Airflow's S3KeySensor). */
export interface S3KeySensorArgs extends SensorArgs {
  /** A key, or a full `s3://bucket/key` URL; templated. With `wildcardMatch`, a glob (`*`, `?`). */
  bucketKey: string;
  /** The bucket when bucketKey is a bare key; `_` or left out is the session's bucket. */
  bucketName?: string;
  wildcardMatch?: boolean;
}

/** Waits for an S3 object (Airflow's S3KeySensor), in the session's S3. */
export function s3KeySensor(args: S3KeySensorArgs): Operator<S3KeySensorArgs> {
  return builtinSensor('s3KeySensor', args, ['bucketKey', 'bucketName'], async (ctx, a) => {
    const url = /^s3:\/\/([^/]+)\/(.*)$/.exec(a.bucketKey);
    const bucket = resolveBucket(ctx, url ? url[1] : a.bucketName);
    const key = url ? url[2]! : a.bucketKey;
    ctx.log.info(`Poking for key : s3://${bucket}/${key}`);
    const s3 = ctx.s3();
    if (!a.wildcardMatch) {
      try {
        await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return true;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 404 || (error as Error).name === 'NotFound' || (error as Error).name === 'NoSuchKey') return false;
        throw error;
      }
    }
    const prefix = key.split(/[*?[]/)[0]!;
    const pattern = new RegExp(`^${key.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|\\\]]/g, '\\$&'))).join('')}$`);
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      if ((page.Contents ?? []).some((o) => o.Key !== undefined && pattern.test(o.Key))) return true;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return false;
  });
}

/** Arguments of {@link sqlSensor} (Airflow's SqlSensor). */
export interface SqlSensorArgs extends SensorArgs {
  /** `mysql`, `redshift`, `postgres` or a connection id. */
  connId: string;
  /** A query (templated, values bound); the first cell of its first row decides. */
  sql: string;
  parameters?: SqlParameters;
  /** Decides on the first cell instead of its truth. */
  success?: (firstCell: unknown) => boolean;
  /** Fails the task when it returns true for the first cell. */
  failure?: (firstCell: unknown) => boolean;
  /** No row at all fails the task instead of poking again. */
  failOnEmpty?: boolean;
}

/** Pokes a SQL query until its first cell is true (Airflow's SqlSensor: not 0, '', NULL). */
export function sqlSensor(args: SqlSensorArgs): Operator<SqlSensorArgs> {
  return builtinSensor('sqlSensor', args, ['sql'], async (ctx, a) =>
    withSqlTarget(ctx, a.connId, async (target) => {
      ctx.log.info(`Poking: ${a.sql}`);
      const row = await checkRow(ctx, target, a.sql, a.parameters, 'sql');
      const cells = Object.values(row);
      if (cells.length === 0) {
        if (a.failOnEmpty) throw new Error('No rows returned, raising as per fail_on_empty flag');
        return false;
      }
      const first = cells[0];
      if (a.failure?.(first)) throw new Error(`Failure criteria met. self.failure(${String(first)}) returned True`);
      if (a.success) return a.success(first);
      return sqlTruthy(first);
    }),
  );
}

/** Python's bool() of a value as a Python driver would return it: numbers as numbers, even when read as text. */
function sqlTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) !== 0 : value !== '';
  if (typeof value === 'bigint') return value !== 0n;
  return Boolean(value);
}

/** Arguments of {@link externalTaskSensor} (Airflow's ExternalTaskSensor). */
export interface ExternalTaskSensorArgs extends SensorArgs {
  externalDagId: string;
  /** A task of that DAG; left out, the DAG run itself is waited for. */
  externalTaskId?: string;
  /** States that end the wait (default success). */
  allowedStates?: string[];
  /** States that fail the task. */
  failedStates?: string[];
  /** States that skip the task. */
  skippedStates?: string[];
  /** The other run's logical date is this much earlier than this run's. */
  executionDelta?: Duration;
}

/**
 * Waits for another DAG's task (or run) for the same logical date (Airflow's ExternalTaskSensor),
 * looked up in dagbox's run history.
 */
export function externalTaskSensor(args: ExternalTaskSensorArgs): Operator<ExternalTaskSensorArgs> {
  return builtinSensor('externalTaskSensor', args, ['externalDagId', 'externalTaskId'], async (ctx, a) => {
    const delta = a.executionDelta === undefined ? 0 : parseDuration(a.executionDelta);
    const date = new Date(ctx.logicalDate.getTime() - delta);
    const what = a.externalTaskId ? `${a.externalDagId}.${a.externalTaskId}` : `DAG ${a.externalDagId}`;
    const state = await ctx.externalTaskState(a.externalDagId, a.externalTaskId ?? null, date);
    ctx.log.info(`Poking for ${what} on ${date.toISOString()} ... ${state ?? 'no run yet'}`);
    if (state !== null && (a.failedStates ?? []).includes(state)) {
      throw new Error(`The external ${a.externalTaskId ? 'task' : 'DAG'} ${what} failed (state ${state}).`);
    }
    if (state !== null && (a.skippedStates ?? []).includes(state)) {
      throw new SkipError(`The external ${a.externalTaskId ? 'task' : 'DAG'} ${what} was ${state}. Skipping.`);
    }
    return state !== null && (a.allowedStates ?? ['success']).includes(state);
  });
}

/** Arguments of {@link timeDeltaSensor}. */
export interface TimeDeltaSensorArgs extends SensorArgs {
  /** Wait until the data interval's end plus this. */
  delta: Duration;
}

/** Waits until the run's data interval end plus `delta`, on the run's clock (Airflow's TimeDeltaSensor). */
export function timeDeltaSensor(args: TimeDeltaSensorArgs): Operator<TimeDeltaSensorArgs> {
  return builtinSensor('timeDeltaSensor', args, [], (ctx, a) => {
    const target = new Date(ctx.dataIntervalEnd.getTime() + parseDuration(a.delta));
    ctx.log.info(`Checking if the time (${target.toISOString()}) has come`);
    return ctx.now().getTime() > target.getTime();
  });
}

/** Arguments of {@link dateTimeSensor}. */
export interface DateTimeSensorArgs extends SensorArgs {
  /** An ISO date-time, templated: `'{{ data_interval_end }}'`. */
  targetTime: string;
}

/** Waits until `targetTime` on the run's clock (Airflow's DateTimeSensor). */
export function dateTimeSensor(args: DateTimeSensorArgs): Operator<DateTimeSensorArgs> {
  return builtinSensor('dateTimeSensor', args, ['targetTime'], (ctx, a) => {
    const target = new Date(a.targetTime);
    if (Number.isNaN(target.getTime())) throw new Error(`dateTimeSensor "${ctx.taskId}": targetTime ${JSON.stringify(a.targetTime)} is not a date-time`);
    ctx.log.info(`Checking if the time (${target.toISOString()}) has come`);
    return ctx.now().getTime() > target.getTime();
  });
}

