import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskCallback, TaskContext, TaskState } from '../dag/types.ts';
import { errorMessage } from '../shared/errors.ts';
import { clockDuration } from '../shared/ms.ts';
import { renderParts, type TemplateScope } from '../template/index.ts';
import { openTryWarehouse, type TryWarehouse } from '../warehouse/warehouse-pool.ts';
import type { TaskPlan } from './plan.ts';
import { renderOperatorArgs } from './render-fields.ts';
import { shiftMysqlClock } from './try-clock.ts';
import type { RunShared } from './run-shared.ts';
import { TaskLogBuffer } from './task-log.ts';
import { inScope } from '../shared/task-scope.ts';
import type { TaskInstanceResult } from './types.ts';
import { RETURN_VALUE } from './xcom.ts';
import { isXComArg } from '../dag/dag.ts';
import { isFailNow, isSkip } from '../dag/errors.ts';
import { controlSkips } from './control.ts';
import { underProbe } from '../shared/wall-clock.ts';

/** How a task instance is run: a DAG run retries and calls callbacks; `tasks test` does neither. */
export interface TaskRunMode {
  retries: boolean;
  callbacks: boolean;
}

/** The error of a try that ran longer than its executionTimeout. */
export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
}

/** A task instance result before the task ran: state none, no tries. `mapIndex` for an instance of a mapped task. */
export function pendingResult(taskId: string, mapIndex?: number): TaskInstanceResult {
  return { taskId, ...(mapIndex !== undefined ? { mapIndex } : {}), state: 'none', tryNumber: 0, startedAt: null, endedAt: null, durationMs: 0, log: [] };
}

/** Which instance of a task runs: its map index (-1 unmapped) and its mapped input values. */
export interface InstanceInput {
  mapIndex: number;
  /** This map index's values of the `.expand()` lists. */
  mapped: Record<string, unknown>;
}

const UNMAPPED: InstanceInput = { mapIndex: -1, mapped: {} };

/** How a task instance ended: its state and, for a control-flow task, the downstream tasks to skip. */
export interface InstanceOutcome {
  state: TaskState;
  skip: string[];
}

/** Set a task instance's state and tell the observer. */
export function setTaskState(shared: RunShared, result: TaskInstanceResult, state: TaskState, error?: string): void {
  result.state = state;
  shared.emit?.({
    type: 'task-state',
    dagId: shared.dagId,
    runId: shared.runId,
    taskId: result.taskId,
    state,
    tryNumber: result.tryNumber,
    at: shared.env.clock.now(),
    ...(result.mapIndex !== undefined ? { mapIndex: result.mapIndex } : {}),
    ...(error !== undefined ? { error } : {}),
  });
}

type TryOutcome = { ctx: TaskContext; ok: true; value: unknown; skip: string[] } | { ctx: TaskContext; ok: false; error: unknown };

/**
 * Run one task instance to a final state (success, failed or skipped): try, and on failure wait
 * retryDelay on the run's clock and try again, up to `retries` times. A SkipError ends it
 * skipped, a FailError (or a sensor's timeout) failed without further tries. Callbacks run after
 * the state is set; a throwing callback is logged and changes nothing. Never rejects.
 */
export async function runTaskInstance(
  shared: RunShared,
  plan: TaskPlan,
  result: TaskInstanceResult,
  mode: TaskRunMode,
  instance: InstanceInput = UNMAPPED,
): Promise<InstanceOutcome> {
  const log = new TaskLogBuffer(shared, plan.id, result.log, instance.mapIndex);
  const { clock } = shared.env;
  const tries = mode.retries ? plan.retries + 1 : 1;
  for (let tryNumber = 1; ; tryNumber++) {
    result.tryNumber = tryNumber;
    setTaskState(shared, result, 'queued');
    const startedAt = clock.now();
    result.startedAt ??= startedAt;
    setTaskState(shared, result, 'running');
    shared.xcom.clear(plan.id, instance.mapIndex);
    const t0 = performance.now();
    const outcome = await attempt(shared, plan, tryNumber, log, result, instance);
    result.durationMs += performance.now() - t0;
    result.endedAt = clock.now();
    // After a stop request the run is already recorded interrupted: no retry, no callback (no alert).
    if (shared.env.signal?.aborted) return { state: outcome.ok ? 'success' : 'failed', skip: [] };
    if (outcome.ok) {
      if (outcome.value !== undefined) shared.xcom.push(plan.id, RETURN_VALUE, outcome.value, instance.mapIndex);
      const rows = (outcome.value as { rows?: unknown } | null | undefined)?.rows;
      if (typeof rows === 'number') result.rows = rows;
      delete result.error;
      setTaskState(shared, result, 'success');
      if (mode.callbacks) await runCallback('onSuccess', plan.args.onSuccess, outcome.ctx, log);
      return { state: 'success', skip: outcome.skip };
    }
    if (isSkip(outcome.error)) {
      const reason = errorMessage(outcome.error);
      result.error = shared.env.masker.mask(reason);
      log.write('info', `Skipping: ${reason}`);
      setTaskState(shared, result, 'skipped');
      return { state: 'skipped', skip: [] };
    }
    result.error = shared.env.masker.mask(errorMessage(outcome.error));
    const final = isFailNow(outcome.error) || tryNumber >= tries;
    log.write('error', `Try ${tryNumber} of ${tries} failed${final && tryNumber < tries ? ' (no retries: it cannot succeed by trying again)' : ''}: ${errorDetail(outcome.error)}`);
    if (!final) {
      setTaskState(shared, result, 'up_for_retry', result.error);
      if (mode.callbacks) await runCallback('onRetry', plan.args.onRetry, outcome.ctx, log, outcome.error);
      log.write('info', `Retrying in ${clockDuration(plan.retryDelayMs)} (retryDelay, on the run's clock)`);
      await clock.sleep(plan.retryDelayMs);
      continue;
    }
    setTaskState(shared, result, 'failed', result.error);
    if (mode.callbacks) await runCallback('onFailure', plan.args.onFailure, outcome.ctx, log, outcome.error);
    return { state: 'failed', skip: [] };
  }
}

async function attempt(
  shared: RunShared,
  plan: TaskPlan,
  tryNumber: number,
  log: TaskLogBuffer,
  result: TaskInstanceResult,
  instance: InstanceInput,
): Promise<TryOutcome> {
  const controller = plan.timeoutMs === null ? null : new AbortController();
  const ctx = buildContext(shared, plan, tryNumber, controller?.signal ?? shared.idleSignal, log, instance.mapIndex, result);
  let endTry = async () => {};
  try {
    addHooks(shared, ctx);
    endTry = scopeWarehouseToTry(ctx, shared.env.wallClockShiftMs ?? 0);
    const input = { ...resolveInputs(shared, plan), ...instance.mapped };
    const scope = { dagId: ctx.dagId, runId: ctx.runId, taskId: ctx.taskId, warn: (line: string) => ctx.log.warn(line) };
    const body = inScope(scope, () => invokeBody(shared, plan, ctx, input));
    const value = controller ? await withTimeout(body, plan, controller, ctx) : await body;
    checkOutput(shared, plan, value, instance.mapIndex);
    const skip = controlSkips(shared, plan, ctx, value);
    return { ctx, ok: true, value, skip };
  } catch (error) {
    return { ctx, ok: false, error };
  } finally {
    await endTry();
  }
}

/**
 * Give the try its own warehouse connection, as Airflow gives each task try its own: temporary
 * tables die with the try; with a wall-clock shift, the warehouse's and MySQL's clocks run ahead.
 * Returns what ends it; callbacks after the try use the session's pool.
 */
function scopeWarehouseToTry(ctx: TaskContext, clockShiftMs: number): () => Promise<void> {
  const base = ctx.warehouse;
  if (base === NO_SERVICES.warehouse) return async () => {};
  if (clockShiftMs !== 0 && ctx.mysql !== NO_SERVICES.mysql) {
    const mysql = ctx.mysql;
    ctx.mysql = () => shiftMysqlClock(mysql(), clockShiftMs);
  }
  let scope: TryWarehouse | undefined;
  ctx.warehouse = () => (scope ??= openTryWarehouse(base(), { clockShiftMs })).pool;
  return async () => {
    ctx.warehouse = base;
    await scope?.close();
  };
}

/** The task's `.with()` / `.partial()` values, with each XComArg pulled (Airflow fails a task whose XComArg pushed nothing). */
export function resolveInputs(shared: RunShared, plan: TaskPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plan.task.inputs)) out[key] = resolveValue(shared, plan, key, value);
  return out;
}

/** A value, or the XCom an XComArg points at. */
export function resolveValue(shared: RunShared, plan: TaskPlan, key: string, value: unknown): unknown {
  if (!isXComArg(value)) return value;
  const from = value.task.id;
  if (!shared.xcom.has(from, value.xcomKey)) {
    throw new Error(
      `input "${key}" of task "${plan.id}" is the XCom "${value.xcomKey}" of task "${from}", which pushed none` +
        (value.xcomKey === RETURN_VALUE ? ' (it returned undefined)' : ' (set multipleOutputs: true on it to push each key of its result)'),
    );
  }
  return shared.xcom.pull(from, value.xcomKey);
}

/** multipleOutputs pushes each key; an output that a mapped task expands over must be a list or an object. */
function checkOutput(shared: RunShared, plan: TaskPlan, value: unknown, mapIndex: number): void {
  if (plan.args.multipleOutputs && value !== undefined) {
    if (!isPlainObject(value)) {
      throw new Error(`task "${plan.id}" has multipleOutputs: true, so it must return a plain object, but returned ${typeName(value)}`);
    }
    for (const [key, v] of Object.entries(value)) shared.xcom.push(plan.id, key, v, mapIndex);
  }
  if (plan.feedsMapping && !Array.isArray(value) && !isPlainObject(value)) {
    throw new Error(`task "${plan.id}" feeds a mapped task (.expand), so it must return a list or an object, but returned ${typeName(value)} (Airflow's UnmappableXComTypePushed)`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : typeof value === 'object' ? `a ${value.constructor?.name ?? 'object'}` : `${typeof value} ${JSON.stringify(value)}`;
}

/** The task's context for one try: Airflow's template context in camelCase, plus hooks. */
export function buildContext(
  shared: RunShared,
  plan: TaskPlan,
  tryNumber: number,
  signal: AbortSignal,
  log: TaskLogBuffer,
  mapIndex = -1,
  result?: TaskInstanceResult,
): TaskContext {
  const { env, interval } = shared;
  let scope: TemplateScope | undefined;
  const scopeOf = () =>
    (scope ??= shared.scopeFor({ taskId: plan.id, kind: plan.task.operator?.kind ?? 'python', tryNumber, xcomPull: (ids, key) => shared.xcom.pull(ids, key) }));
  const where = taskWhere(shared, plan);
  const location = plan.task.location;
  return {
    dagId: shared.dagId,
    taskId: plan.id,
    runId: shared.runId,
    tryNumber,
    mapIndex,
    now: () => env.clock.now(),
    sleep: async (ms: number, opts?: { reschedule?: boolean }) => {
      if (opts?.reschedule && result) setTaskState(shared, result, 'up_for_reschedule');
      try {
        await shared.time.sleep(ms, signal);
      } finally {
        if (opts?.reschedule && result) setTaskState(shared, result, 'running');
      }
    },
    externalTaskState: (dagId: string, taskId: string | null, logicalDate: Date) => externalTaskState(shared, dagId, taskId, logicalDate),
    logicalDate: shared.logicalDate,
    dataIntervalStart: interval.start,
    dataIntervalEnd: interval.end,
    ds: shared.ds,
    dsNodash: shared.dsNodash,
    ts: shared.ts,
    prevDs: shared.prevDs,
    nextDs: shared.nextDs,
    params: { ...(shared.taskParams.get(plan.id) ?? shared.params) },
    dagRun: { runId: shared.runId, runType: shared.runType, logicalDate: shared.logicalDate, conf: shared.conf },
    triggerDagRun: (dagId, opts = {}) => triggerFrom(shared, plan.id, dagId, opts),
    xcom: shared.xcom.forTask(plan.id, mapIndex),
    variables: env.variables,
    connections: env.connections,
    log,
    render: (template: string) => renderParts(template, scopeOf(), where).map((p) => p.text).join(''),
    renderParts: (template: string) => renderParts(template, scopeOf(), where),
    location: location ? `${relative(process.cwd(), location.file) || location.file}:${location.line}` : undefined,
    mask: (text: string) => env.masker.mask(text),
    signal,
    ...NO_SERVICES,
  };
}

async function triggerFrom(
  shared: RunShared,
  taskId: string,
  dagId: string,
  opts: { conf?: Record<string, unknown>; logicalDate?: Date; waitForCompletion?: boolean },
): Promise<void> {
  const from = `${shared.dagId}.${taskId}`;
  const trigger = shared.env.triggerDagRun;
  if (!trigger) {
    throw new Error(
      `${from} triggers DAG "${dagId}", but this run cannot start other DAGs (it runs outside a project); run it with dagbox dags test, dags trigger, dags backfill or dev`,
    );
  }
  const run = await trigger({ dagId, conf: opts.conf ?? {}, logicalDate: opts.logicalDate, waitForCompletion: opts.waitForCompletion === true, from });
  if (run && run.state !== 'success') throw new Error(`${from} triggered DAG "${dagId}" (run ${run.runId}), which ended ${run.state}${run.error ? `: ${run.error}` : ''}`);
}

const noServices = (name: string) => (): never => {
  throw new Error(`ctx.${name}() needs the session's services, and this run has none (it was started with --services none, or outside a session); run it with dagbox dev, dagbox test or a dags/tasks command without --services none`);
};

/** Service hooks of a run without services (each says why it cannot serve), and no injected faults. */
const NO_SERVICES = {
  mysql: noServices('mysql'),
  postgres: noServices('postgres'),
  warehouse: noServices('warehouse'),
  s3: noServices('s3'),
  bucket: '',
  faultPoint: () => {},
};

function taskWhere(shared: RunShared, plan: TaskPlan): string {
  return `task "${plan.id}" of DAG "${shared.dagId}"`;
}

function addHooks(shared: RunShared, ctx: TaskContext): void {
  const extra = shared.env.hooks?.(ctx);
  if (!extra) return;
  // Hooks fill the service members and add new ones; they never replace the run's own values.
  for (const key of Object.keys(extra)) if (!(key in ctx) || key in NO_SERVICES) ctx[key] = extra[key];
}

async function invokeBody(shared: RunShared, plan: TaskPlan, ctx: TaskContext, input: Record<string, unknown>): Promise<unknown> {
  const body = plan.task.body;
  // A control-flow decision runs under verification's moved wall clock, if any (only the decision: services keep the real time).
  if (typeof body === 'function') return plan.task.control ? await underProbe(ctx, () => body(ctx, input)) : await body(ctx, input);
  // Inputs of an operator task (.partial / .expand) are its arguments, rendered like the others.
  const operator = Object.keys(input).length === 0 ? body : { ...body, args: { ...body.args, ...input } };
  const args = renderOperatorArgs(operator, shared.scopeFor({ taskId: plan.id, kind: body.kind, tryNumber: ctx.tryNumber, xcomPull: (ids, key) => shared.xcom.pull(ids, key) }), taskWhere(shared, plan));
  return await body.execute(ctx, args);
}

/** The state of another DAG's task (or of its run, with taskId null) for a logical date, from the run history. */
async function externalTaskState(shared: RunShared, dagId: string, taskId: string | null, logicalDate: Date): Promise<string | null> {
  const store = shared.env.store;
  if (!store) return null;
  const runs = await store.runs(dagId);
  const run = runs
    .filter((r) => new Date(r.interval.start).getTime() === logicalDate.getTime())
    .sort((a, b) => new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime())[0];
  if (!run) return null;
  if (taskId === null) return run.state;
  const instances = run.tasks.filter((t) => t.taskId === taskId);
  if (instances.length === 0) return null;
  // A mapped task counts as its worst instance.
  for (const state of ['failed', 'upstream_failed', 'running', 'queued', 'scheduled', 'none', 'skipped']) {
    if (instances.some((t) => t.state === state)) return state;
  }
  return instances[0]!.state;
}

/** Settle with the body, or fail with a timeout error (and abort ctx.signal) once executionTimeout passes in real time. */
function withTimeout(body: Promise<unknown>, plan: TaskPlan, controller: AbortController, ctx: TaskContext): Promise<unknown> {
  const ms = plan.timeoutMs!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TaskTimeoutError(
        `task "${plan.id}" timed out after ${formatSeconds(ms)} (executionTimeout); make it faster or raise executionTimeout`,
      );
      controller.abort(error);
      const operator = plan.task.operator;
      const killed = operator?.onKill ? Promise.resolve().then(() => operator.onKill!(ctx)).catch((killError: unknown) => {
        ctx.log.error(`onKill failed: ${errorMessage(killError)}`);
      }) : Promise.resolve();
      void killed.then(() => reject(error));
    }, ms);
    body.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

async function runCallback(name: string, callback: TaskCallback | undefined, ctx: TaskContext, log: TaskLogBuffer, error?: unknown): Promise<void> {
  if (!callback) return;
  try {
    await (error === undefined ? callback(ctx) : callback(ctx, error));
  } catch (callbackError) {
    log.write('error', `${name} callback failed (the task's state stands): ${errorDetail(callbackError)}`);
  }
}


/** What goes to the log: the stack for unexpected errors, the message for dagbox's own. */
function errorDetail(error: unknown): string {
  if (error instanceof TaskTimeoutError) return error.message;
  if (error instanceof Error) return error.stack ? userStack(error.stack) : error.message;
  return String(error);
}

const RUN_DIR = fileURLToPath(new URL('.', import.meta.url));

/** A stack cut at the first frame of the executor itself: what follows is dagbox's machinery, not the user's code. */
function userStack(stack: string): string {
  const lines = stack.split('\n');
  const cut = lines.findIndex((line, i) => i > 0 && line.includes(RUN_DIR));
  return (cut < 0 ? lines : lines.slice(0, cut)).join('\n');
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

