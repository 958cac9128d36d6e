import type { XCom } from '../dag/types.ts';
import { didYouMean } from '../shared/suggest.ts';

/** The XCom key of a task's return value. */
export const RETURN_VALUE = 'return_value';

/**
 * The XComs of one DAG run: values pushed by its tasks, by task id and key. Each task gets an
 * {@link XCom} view that pushes under its own id and pulls from any task of the DAG.
 */
export class XComStore {
  private readonly values = new Map<string, Map<string, unknown>>();

  constructor(
    private readonly dagId: string,
    private readonly taskIds: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  ) {}

  /** Forget what a task pushed: a task's XComs are cleared when it (re)starts, as in Airflow. */
  clear(taskId: string): void {
    this.values.delete(taskId);
  }

  push(taskId: string, key: string, value: unknown): void {
    let byKey = this.values.get(taskId);
    if (!byKey) this.values.set(taskId, (byKey = new Map()));
    byKey.set(key, value);
  }

  /**
   * The value a task pushed under `key` (default `return_value`): undefined when the task has
   * not run or pushed nothing, as Airflow's None. With an array of ids, an array of values.
   * A task id that is not in the DAG is an error, since it can only be a typo.
   */
  pull(taskIds: string | string[], key: string = RETURN_VALUE): unknown {
    if (Array.isArray(taskIds)) return taskIds.map((id) => this.pullOne(id, key));
    return this.pullOne(taskIds, key);
  }

  /** The XCom view a task's context gets. */
  forTask(taskId: string): XCom {
    return {
      push: (key, value) => this.push(taskId, key, value),
      pull: (taskIds, key) => this.pull(taskIds, key),
    };
  }

  private pullOne(taskId: string, key: string): unknown {
    const byKey = this.values.get(taskId);
    if (byKey) return byKey.get(key);
    if (!this.taskIds.has(taskId)) {
      throw new Error(
        `xcom.pull: task "${taskId}" is not in DAG "${this.dagId}"${didYouMean(taskId, this.taskIds.keys())}; ` +
          'pull by the full task id, with its group prefix (`group.task`)',
      );
    }
    return undefined;
  }
}
