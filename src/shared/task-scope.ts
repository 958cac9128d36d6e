import { AsyncLocalStorage } from 'node:async_hooks';

/** Where code runs, as far as dagbox knows: the check of a verification, the DAG, run and task. */
export interface RunScope {
  /** The verification step (`idempotency re-run`, `fault in load`), when verifying. */
  readonly check?: string;
  readonly dagId?: string;
  readonly runId?: string;
  readonly taskId?: string;
  /** The task's log, inside a task. */
  readonly warn?: (line: string) => void;
}

const storage = new AsyncLocalStorage<RunScope>();

/** Run `fn` with `scope` added to the current one (what a library warns about inside it can be attributed). */
export function inScope<T>(scope: RunScope, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...scope }, fn);
}

/** The scope code runs in now, empty outside any run. */
export function currentScope(): RunScope {
  return storage.getStore() ?? {};
}

/** `DAG nps, task load, run backfill__..., check idempotency re-run` for what is known. */
export function scopeLabel(scope: RunScope = currentScope()): string {
  const parts = [
    scope.dagId ? `DAG ${scope.dagId}` : null,
    scope.taskId ? `task ${scope.taskId}` : null,
    scope.runId ? `run ${scope.runId}` : null,
    scope.check ? `check ${scope.check}` : null,
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'outside any DAG run';
}

/**
 * A warning from a library (the AWS SDK's logger, say): into the task's log when inside a task,
 * naming DAG, task and check; else to stderr, naming what is known.
 */
export function routeWarning(source: string, message: string): void {
  const scope = currentScope();
  const line = `${source}: ${message} (${scopeLabel(scope)})`;
  if (scope.warn) scope.warn(line);
  else process.stderr.write(`dagbox warning: ${line}\n`);
}
