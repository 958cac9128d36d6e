import type { TaskLog } from '../dag/types.ts';
import type { LogLevel } from './types.ts';
import type { RunShared } from './run-shared.ts';

const LABELS: Record<LogLevel, string> = { info: 'INFO', warn: 'WARNING', error: 'ERROR' };

/**
 * A task instance's log: each line is masked, stamped with the run's clock, kept in
 * `lines` (`[2021-02-06T00:00:00.000Z] INFO - message`) and sent to the run's observer.
 */
export class TaskLogBuffer implements TaskLog {
  constructor(
    private readonly shared: RunShared,
    private readonly taskId: string,
    readonly lines: string[],
    /** The map index of an instance of a mapped task, -1 otherwise. */
    private readonly mapIndex = -1,
  ) {}

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  /** Mask and record one line. Non-string messages (from untyped code) are turned into text. */
  write(level: LogLevel, message: unknown): void {
    const { env, emit } = this.shared;
    const line = env.masker.mask(typeof message === 'string' ? message : String(message));
    const at = env.clock.now();
    this.lines.push(`[${at.toISOString()}] ${LABELS[level]} - ${line}`);
    emit?.({
      type: 'log',
      dagId: this.shared.dagId,
      runId: this.shared.runId,
      taskId: this.taskId,
      ...(this.mapIndex >= 0 ? { mapIndex: this.mapIndex } : {}),
      level,
      line,
      at,
    });
  }
}
