import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SkipError } from '../dag/errors.ts';
import type { Operator, TaskContext } from '../dag/types.ts';

/** Arguments of {@link bash}: Airflow's BashOperator in camelCase. */
export interface BashArgs {
  /** The command, run with `bash -c`; a template (`{{ ds }}`, `{{ params.x }}`). */
  bashCommand: string;
  /** The environment of the command (templated values). Without `appendEnv` it replaces the process's environment, as in Airflow. */
  env?: Record<string, string>;
  /** Add `env` to the process's environment instead of replacing it. */
  appendEnv?: boolean;
  /** Working directory (templated); default a new temporary directory, removed afterwards. */
  cwd?: string;
  /** Exit codes that skip the task instead of failing it (default 99, as Airflow). */
  skipOnExitCode?: number | number[] | null;
}

const running = new WeakMap<TaskContext, ChildProcess>();

/**
 * Airflow's BashOperator: runs `bashCommand` with `bash -c`, its output (stdout and stderr) going
 * to the task log line by line; the last line of output is the task's return value (XCom). A
 * non-zero exit fails the task, exit code 99 (`skipOnExitCode`) skips it. Like Airflow it adds
 * `AIRFLOW_CTX_DAG_ID`, `AIRFLOW_CTX_TASK_ID`, `AIRFLOW_CTX_EXECUTION_DATE`, `AIRFLOW_CTX_TRY_NUMBER`
 * and `AIRFLOW_CTX_DAG_RUN_ID` to the environment. On a timeout the process group gets SIGTERM.
 *
 * ```ts
 * dag.task('export', bash({ bashCommand: 'scripts/export.sh {{ ds }}', env: { TARGET: '{{ var.value.target }}' }, appendEnv: true }));
 * ```
 */
export function bash(args: BashArgs): Operator<BashArgs> {
  return {
    kind: 'bash',
    args,
    templateFields: ['bashCommand', 'env', 'cwd'],
    execute: (ctx, a) => runBash(ctx, a),
    onKill: (ctx) => {
      const child = running.get(ctx);
      if (child?.pid !== undefined && child.exitCode === null) {
        ctx.log.warn('Sending SIGTERM to the command\'s process group');
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    },
  };
}

async function runBash(ctx: TaskContext, a: BashArgs): Promise<string | undefined> {
  if (typeof a.bashCommand !== 'string' || a.bashCommand.trim() === '') {
    throw new Error(`bash task "${ctx.taskId}": bashCommand must be a non-empty command, got ${JSON.stringify(a.bashCommand)}`);
  }
  const base = a.env === undefined || a.appendEnv ? { ...process.env } : {};
  const env: Record<string, string> = {
    ...(base as Record<string, string>),
    ...(a.env ?? {}),
    AIRFLOW_CTX_DAG_ID: ctx.dagId,
    AIRFLOW_CTX_TASK_ID: ctx.taskId,
    AIRFLOW_CTX_EXECUTION_DATE: ctx.ts,
    AIRFLOW_CTX_TRY_NUMBER: String(ctx.tryNumber),
    AIRFLOW_CTX_DAG_RUN_ID: ctx.runId,
  };
  const temp = a.cwd === undefined ? await mkdtemp(join(tmpdir(), 'dagboxtmp')) : null;
  try {
    ctx.log.info(`Running command: ${JSON.stringify(['bash', '-c', a.bashCommand])}`);
    const { code, lastLine } = await spawnLogged(ctx, a.bashCommand, env, a.cwd ?? temp!);
    ctx.log.info(`Command exited with return code ${code}`);
    const skipCodes = a.skipOnExitCode === null ? [] : [a.skipOnExitCode ?? 99].flat();
    if (skipCodes.includes(code)) throw new SkipError(`Bash command returned exit code ${code}. Skipping.`);
    if (code !== 0) throw new Error(`Bash command failed. The command returned a non-zero exit code ${code}.`);
    return lastLine;
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

function spawnLogged(ctx: TaskContext, command: string, env: Record<string, string>, cwd: string): Promise<{ code: number; lastLine: string | undefined }> {
  return new Promise((resolve, reject) => {
    // detached: the command gets its own process group, so onKill reaches its children too.
    // stderr joins stdout in one pipe, as in Airflow's SubprocessHook, so lines keep their order.
    const child = spawn('bash', ['-c', `exec 2>&1\n${command}`], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    running.set(ctx, child);
    let lastLine: string | undefined;
    let pending = '';
    const onData = (chunk: Buffer) => {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        ctx.log.info(line);
        lastLine = line;
      }
    };
    child.stdout.on('data', onData);
    child.on('error', (error) => reject(new Error(`bash task "${ctx.taskId}" could not start bash: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      running.delete(ctx);
      if (pending !== '') {
        ctx.log.info(pending);
        lastLine = pending;
      }
      resolve({ code: code ?? (signal ? 128 + 15 : 1), lastLine });
    });
  });
}
