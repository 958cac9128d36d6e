import { fileURLToPath } from 'node:url';
import type { TaskCallback, TaskContext, TaskState } from '../dag/types.ts';
import { render } from '../template/index.ts';
import type { TaskPlan } from './plan.ts';
import { renderOperatorArgs } from './render-fields.ts';
import type { RunShared } from './run-shared.ts';
import { TaskLogBuffer } from './task-log.ts';
import { inScope } from './task-scope.ts';
import type { TaskInstanceResult } from './types.ts';
import { RETURN_VALUE } from './xcom.ts';

/** How a task instance is run: a DAG run retries and calls callbacks; `tasks test` does neither. */
export interface TaskRunMode {
  retries: boolean;
  callbacks: boolean;
}

/** The error of a try that ran longer than its executionTimeout. */
export class TaskTimeoutError extends Error {
  override name = 'TaskTimeoutError';
}

/** A task instance result before the task ran: state none, no tries. */
export function pendingResult(taskId: string): TaskInstanceResult {
  return { taskId, state: 'none', tryNumber: 0, startedAt: null, endedAt: null, durationMs: 0, log: [] };
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
    ...(error !== undefined ? { error } : {}),
  });
}

type TryOutcome = { ctx: TaskContext; ok: true; value: unknown } | { ctx: TaskContext; ok: false; error: unknown };

/**
 * Run one task instance to a final state (success or failed): try, and on failure wait
 * retryDelay on the run's clock and try again, up to `retries` times. Callbacks run after
 * the state is set; a throwing callback is logged and changes nothing. Never rejects.
 */
export async function runTaskInstance(shared: RunShared, plan: TaskPlan, result: TaskInstanceResult, mode: TaskRunMode): Promise<TaskState> {
  const log = new TaskLogBuffer(shared, plan.id, result.log);
  const { clock } = shared.env;
  const tries = mode.retries ? plan.retries + 1 : 1;
  for (let tryNumber = 1; ; tryNumber++) {
    result.tryNumber = tryNumber;
    setTaskState(shared, result, 'queued');
    const startedAt = clock.now();
    result.startedAt ??= startedAt;
    setTaskState(shared, result, 'running');
    shared.xcom.clear(plan.id);
    const t0 = performance.now();
    const outcome = await attempt(shared, plan, tryNumber, log);
    result.durationMs += performance.now() - t0;
    result.endedAt = clock.now();
    if (outcome.ok) {
      if (outcome.value !== undefined) shared.xcom.push(plan.id, RETURN_VALUE, outcome.value);
      const rows = (outcome.value as { rows?: unknown } | null | undefined)?.rows;
      if (typeof rows === 'number') result.rows = rows;
      delete result.error;
      setTaskState(shared, result, 'success');
      if (mode.callbacks) await runCallback('onSuccess', plan.args.onSuccess, outcome.ctx, log);
      return 'success';
    }
    result.error = shared.env.masker.mask(errorMessage(outcome.error));
    log.write('error', `Try ${tryNumber} of ${tries} failed: ${errorDetail(outcome.error)}`);
    if (tryNumber < tries) {
      setTaskState(shared, result, 'up_for_retry', result.error);
      if (mode.callbacks) await runCallback('onRetry', plan.args.onRetry, outcome.ctx, log, outcome.error);
      log.write('info', `Retrying in ${formatMs(plan.retryDelayMs)} (retryDelay, on the run's clock)`);
      await clock.sleep(plan.retryDelayMs);
      continue;
    }
    setTaskState(shared, result, 'failed', result.error);
    if (mode.callbacks) await runCallback('onFailure', plan.args.onFailure, outcome.ctx, log, outcome.error);
    return 'failed';
  }
}

async function attempt(shared: RunShared, plan: TaskPlan, tryNumber: number, log: TaskLogBuffer): Promise<TryOutcome> {
  const controller = plan.timeoutMs === null ? null : new AbortController();
  const ctx = buildContext(shared, plan, tryNumber, controller?.signal ?? shared.idleSignal, log);
  try {
    addHooks(shared, ctx);
    const scope = { dagId: ctx.dagId, runId: ctx.runId, taskId: ctx.taskId, warn: (line: string) => ctx.log.warn(line) };
    const body = inScope(scope, () => invokeBody(shared, plan, ctx));
    const value = controller ? await withTimeout(body, plan, controller) : await body;
    return { ctx, ok: true, value };
  } catch (error) {
    return { ctx, ok: false, error };
  }
}

/** The task's context for one try: Airflow's template context in camelCase, plus hooks. */
export function buildContext(shared: RunShared, plan: TaskPlan, tryNumber: number, signal: AbortSignal, log: TaskLogBuffer): TaskContext {
  const { env, interval } = shared;
  return {
    dagId: shared.dagId,
    taskId: plan.id,
    runId: shared.runId,
    tryNumber,
    logicalDate: interval.start,
    dataIntervalStart: interval.start,
    dataIntervalEnd: interval.end,
    ds: shared.ds,
    dsNodash: shared.dsNodash,
    ts: shared.ts,
    prevDs: shared.prevDs,
    nextDs: shared.nextDs,
    params: { ...shared.params },
    xcom: shared.xcom.forTask(plan.id),
    variables: env.variables,
    connections: env.connections,
    log,
    render: (template: string) => renderTemplate(shared, plan, template),
    mask: (text: string) => env.masker.mask(text),
    signal,
    ...NO_SERVICES,
  };
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

function renderTemplate(shared: RunShared, plan: TaskPlan, template: string): string {
  return render(template, shared.scope(), taskWhere(shared, plan));
}

function taskWhere(shared: RunShared, plan: TaskPlan): string {
  return `task "${plan.id}" of DAG "${shared.dagId}"`;
}

function addHooks(shared: RunShared, ctx: TaskContext): void {
  const extra = shared.env.hooks?.(ctx);
  if (!extra) return;
  // Hooks fill the service members and add new ones; they never replace the run's own values.
  for (const key of Object.keys(extra)) if (!(key in ctx) || key in NO_SERVICES) ctx[key] = extra[key];
}

async function invokeBody(shared: RunShared, plan: TaskPlan, ctx: TaskContext): Promise<unknown> {
  const body = plan.task.body;
  if (typeof body === 'function') return await body(ctx);
  const args = renderOperatorArgs(body, shared.scope(), taskWhere(shared, plan));
  return await body.execute(ctx, args);
}

/** Settle with the body, or fail with a timeout error (and abort ctx.signal) once executionTimeout passes in real time. */
function withTimeout(body: Promise<unknown>, plan: TaskPlan, controller: AbortController): Promise<unknown> {
  const ms = plan.timeoutMs!;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TaskTimeoutError(
        `task "${plan.id}" timed out after ${formatSeconds(ms)} (executionTimeout); make it faster or raise executionTimeout`,
      );
      controller.abort(error);
      reject(error);
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

/** The one-line message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
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

/** A duration for people: `300ms`, `5m`, `1h`, `1h30m`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
