import type { XCom } from '../dag/types.ts';
import { didYouMean } from '../shared/suggest.ts';

/** The XCom key of a task's return value. */
export const RETURN_VALUE = 'return_value';

/**
 * The XComs of one DAG run: values pushed by its tasks, by task id and key. Each task gets an
 * {@link XCom} view that pushes under its own id and pulls from any task of the DAG.
 */
export class XComStore {
  /** Task id -> map index (-1 for an unmapped task) -> key -> value. */
  private readonly values = new Map<string, Map<number, Map<string, unknown>>>();
  /** Tasks that are mapped: pulling them gives the list of every map index's value. */
  private readonly mapped = new Set<string>();

  constructor(
    private readonly dagId: string,
    private readonly taskIds: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  ) {}

  /** Say that a task is mapped, so that a pull of it returns the values of all its map indexes. */
  markMapped(taskId: string): void {
    this.mapped.add(taskId);
  }

  /** Forget what a task instance pushed: its XComs are cleared when it (re)starts, as in Airflow. */
  clear(taskId: string, mapIndex = -1): void {
    this.values.get(taskId)?.delete(mapIndex);
  }

  push(taskId: string, key: string, value: unknown, mapIndex = -1): void {
    let byIndex = this.values.get(taskId);
    if (!byIndex) this.values.set(taskId, (byIndex = new Map()));
    let byKey = byIndex.get(mapIndex);
    if (!byKey) byIndex.set(mapIndex, (byKey = new Map()));
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

  /** The XCom view a task instance's context gets. */
  forTask(taskId: string, mapIndex = -1): XCom {
    return {
      push: (key, value) => this.push(taskId, key, value, mapIndex),
      pull: (taskIds, key) => this.pull(taskIds, key),
    };
  }

  /** Whether the task instance pushed `key` (an XComArg of a task that pushed nothing is an error). */
  has(taskId: string, key: string): boolean {
    const byIndex = this.values.get(taskId);
    if (!byIndex) return false;
    if (this.mapped.has(taskId)) return [...byIndex.values()].some((byKey) => byKey.has(key));
    return byIndex.get(-1)?.has(key) ?? false;
  }

  private pullOne(taskId: string, key: string): unknown {
    const byIndex = this.values.get(taskId);
    if (this.mapped.has(taskId)) {
      // A mapped task's value is the list of its map indexes' values, in map index order (Airflow's LazyXComAccess).
      const indexes = [...(byIndex?.keys() ?? [])].filter((i) => i >= 0).sort((a, b) => a - b);
      return indexes.filter((i) => byIndex!.get(i)!.has(key)).map((i) => byIndex!.get(i)!.get(key));
    }
    const byKey = byIndex?.get(-1);
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
