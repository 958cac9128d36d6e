import type { Dataset, Operator, TaskContext } from '../dag/types.ts';

/**
 * A base for custom operators, as Airflow's BaseOperator: arguments given to the constructor,
 * `templateFields` rendered with the run's values before `execute` gets them, `onKill` called
 * when the task is stopped (its executionTimeout passed). What `execute` returns is pushed to
 * XCom as `return_value`; throw to fail the task, throw a `SkipError` to skip it.
 *
 * ```ts
 * class GreetOperator extends BaseOperator<{ name: string }> {
 *   readonly kind = 'greet';
 *   readonly templateFields = ['name'] as const;
 *   execute(ctx: TaskContext, args: { name: string }) {
 *     ctx.log.info(`hello ${args.name}`);   // 'hello 2021-02-05' for name: '{{ ds }}'
 *     return args.name;
 *   }
 * }
 * dag.task('greet', new GreetOperator({ name: '{{ ds }}' }));
 * ```
 */
export abstract class BaseOperator<A extends object> implements Operator<A> {
  abstract readonly kind: string;
  /** Argument names whose strings (also inside arrays and plain objects) are templates. */
  readonly templateFields: readonly (keyof A & string)[] = [];
  readonly inputs?: Dataset[];
  readonly outputs?: Dataset[];

  constructor(readonly args: A) {}

  /** Do the work with the rendered arguments. */
  abstract execute(ctx: TaskContext, args: A): unknown | Promise<unknown>;

  /** Release what `execute` holds when the task is stopped; does nothing unless overridden. */
  onKill(_ctx: TaskContext): void | Promise<void> {}
}
