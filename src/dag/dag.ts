/**
 * src/dag/: the DAG model (dag.ts: Dag, Task, TaskGroup, chain; types.ts: what DAG code sees),
 * the DagBag loader (loader.ts) and validation (validate.ts).
 *
 * May import: config/, template/, schedule/, shared/; types from verify/ (the layers are checked
 * by .dependency-cruiser.cjs).
 */
import type {
  DagOptions,
  Operator,
  SourceLocation,
  TaskArgs,
  TaskContext,
  TaskFunction,
} from './types.ts';
import { callerLocation, lazyCallerLocation } from './location.ts';

/** Anything a dependency can point at: a task, a group (its roots or leaves), a task or group id, or a list of them. */
export type Node = Task | TaskGroup;
export type NodeLike = Node | string | readonly NodeLike[];
type NodeRef = Node | string;

/** Methods shared by tasks and groups to declare dependencies, Airflow's `>>`, `<<`, set_downstream. */
abstract class Dependable {
  abstract readonly dag: Dag;

  /**
   * `a.to(b)` is Airflow's `a >> b`. Returns `b`, so chains read left to right:
   * `extract.to(transform).to(load)`; with a list, `a.to([b, c])` fans out and returns the list.
   */
  to<T extends NodeLike>(downstream: T): T {
    this.dag.addEdges([this as unknown as Node], flatten(downstream));
    return downstream;
  }

  /** `b.after(a1, a2)` is Airflow's `[a1, a2] >> b` (fan-in). Returns `this`. */
  after(...upstream: NodeLike[]): this {
    this.dag.addEdges(flatten(upstream), [this as unknown as Node]);
    return this;
  }

  /** Airflow's `set_downstream`. */
  setDownstream(...downstream: NodeLike[]): this {
    this.dag.addEdges([this as unknown as Node], flatten(downstream));
    return this;
  }

  /** Airflow's `set_upstream`. */
  setUpstream(...upstream: NodeLike[]): this {
    return this.after(...upstream);
  }
}

/**
 * What a control-flow task does with its downstream tasks once it succeeded: a branch follows the
 * ids it returned, a short-circuit skips downstream on a falsy result, latest-only skips
 * downstream unless the run is the latest interval.
 */
export type TaskControl =
  | { type: 'branch' }
  | { type: 'shortCircuit'; ignoreDownstreamTriggerRules: boolean }
  | { type: 'latestOnly' };

const XCOM_ARG_BRAND = Symbol.for('dagbox.xcomArg');

/**
 * A reference to a value a task will push to XCom (Airflow's XComArg): `task.output` is its
 * return value, `task.output.key('total')` one key of it (with `multipleOutputs`). Given to
 * `.with()`, `.partial()` or `.expand()` of another task, it adds the edge and the pull at once.
 */
// The interface below only adds a phantom member for the value's type; nothing is merged at run time.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class XComArg<T = unknown> {
  readonly [XCOM_ARG_BRAND] = true;

  constructor(
    readonly task: Task,
    readonly xcomKey: string = 'return_value',
  ) {}

  /** The XCom pushed under `key` by the task: one key of its returned object with `multipleOutputs: true`. */
  key<K extends keyof T & string>(key: K): XComArg<T[K]> {
    return new XComArg<T[K]>(this.task, key);
  }
}

// Type-only: the value's type, as a method so that XComArgs compare bivariantly.
export interface XComArg<T = unknown> {
  __value?(value: T): void;
}

/** True for an XComArg of any loaded copy of dagbox. */
export function isXComArg(value: unknown): value is XComArg {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[XCOM_ARG_BRAND] === true;
}

/** Values of a task's input: each a value or an XComArg that resolves to one. */
export type Inputs<I> = { [K in keyof I]: I[K] | XComArg<I[K]> };
/** Values a mapped task expands over: per input key, a list or an XComArg that resolves to a list. */
export type ExpandInputs<I> = { [K in keyof I]?: readonly I[K][] | XComArg<readonly I[K][]> | XComArg<I[K][]> };

/** A task in a DAG: a function or an operator plus its arguments. Made by `dag.task(...)` or `group.task(...)`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class Task<I extends object = any, R = any> extends Dependable {
  /** Upstream task ids, filled when the DAG is finalised. */
  readonly upstream = new Set<string>();
  readonly downstream = new Set<string>();
  /** Input values given by `.with()` and `.partial()` (XComArgs resolved at run time). */
  readonly inputs: Record<string, unknown> = {};
  /** Input lists given by `.expand()`: the task is mapped, one instance per element (or combination). */
  mapped: Record<string, unknown> | undefined;
  /** A branch, short-circuit or latest-only task. */
  control: TaskControl | undefined;

  constructor(
    readonly dag: Dag,
    /** Full id, prefixed with its groups: `group.task`. */
    readonly id: string,
    readonly body: TaskFunction | Operator<object>,
    readonly args: TaskArgs,
    private readonly where: () => SourceLocation | undefined,
    readonly group: TaskGroup | undefined,
  ) {
    super();
  }

  /** Where the task was declared. */
  get location(): SourceLocation | undefined {
    return this.where();
  }

  /** The operator, or undefined for a plain-function task. */
  get operator(): Operator<object> | undefined {
    const body = this.body as Partial<Operator<object>> | null;
    return typeof body === 'object' && body !== null && typeof body.execute === 'function' ? (body as Operator<object>) : undefined;
  }

  /** `'python'` for a function task, `'branch'`, `'shortCircuit'`, `'latestOnly'`, else the operator's kind. */
  get kind(): string {
    return this.operator?.kind ?? this.control?.type ?? 'python';
  }

  /** The task's return value as an XComArg, to pass to another task's `.with()` / `.expand()`. */
  get output(): XComArg<R> {
    return new XComArg<R>(this as Task);
  }

  /**
   * TaskFlow: the task's input, values or other tasks' outputs. Each output adds the edge and is
   * pulled from XCom when the task runs; the body gets the values as its second argument.
   *
   * ```ts
   * const extract = dag.task('extract', () => ({ total: 3 }));
   * dag.task('load', (ctx, { order }: { order: { total: number } }) => order.total).with({ order: extract.output });
   * ```
   */
  with(inputs: Inputs<I>): this {
    return this.bindInputs(inputs as Record<string, unknown>);
  }

  /** The fixed part of a mapped task's input (Airflow's `.partial()`); the same as `.with()`. */
  partial(inputs: Partial<Inputs<I>>): this {
    return this.bindInputs(inputs as Record<string, unknown>);
  }

  /**
   * Dynamic task mapping: one task instance per element of each list (the cross product for
   * several keys), decided at run time when a list is an upstream task's output. For an
   * operator, the keys are operator arguments.
   *
   * ```ts
   * const files = dag.task('list_files', () => ['a.csv', 'b.csv']);
   * const load = dag.task('load', (ctx, { key }: { key: string }) => key.length).expand({ key: files.output });
   * dag.task('total', (ctx, { sizes }: { sizes: number[] }) => sizes.reduce((a, b) => a + b, 0)).with({ sizes: load.output });
   * ```
   */
  expand(inputs: ExpandInputs<I>): Task<I, R[]> {
    const where = lazyCallerLocation();
    if (this.mapped) this.dag.buildErrors.push({ message: `task "${this.id}" of DAG "${this.dag.id}" is expanded twice; give every mapped input in one .expand()`, location: where() });
    if (this.control) this.dag.buildErrors.push({ message: `task "${this.id}" of DAG "${this.dag.id}": a ${this.control.type} task cannot be mapped in dagbox`, location: where() });
    this.mapped = {};
    for (const [key, value] of Object.entries(inputs as Record<string, unknown>)) {
      if (!isXComArg(value) && !Array.isArray(value) && !(value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)) {
        this.dag.buildErrors.push({
          message: `task "${this.id}" of DAG "${this.dag.id}": .expand({ ${key} }) needs a list, an object or a task's output, got ${describeValue(value)}`,
          location: where(),
        });
      }
      this.mapped[key] = value;
      if (isXComArg(value)) this.dag.addEdges([value.task], [this as Task]);
    }
    // Pulled downstream, a mapped task's output is the list of its instances' values.
    return this as unknown as Task<I, R[]>;
  }

  private bindInputs(inputs: Record<string, unknown>): this {
    for (const [key, value] of Object.entries(inputs)) {
      this.inputs[key] = value;
      if (isXComArg(value)) this.dag.addEdges([value.task], [this as Task]);
    }
    return this;
  }
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Options of `dag.shortCircuit(...)`. */
export interface ShortCircuitOptions extends TaskArgs {
  /**
   * true (default, as Airflow): a falsy result skips every task downstream, whatever its trigger
   * rule; false: only the direct downstream tasks are skipped, the rest follow their trigger rules.
   */
  ignoreDownstreamTriggerRules?: boolean;
}

/** The control-flow task builders shared by DAGs and groups. */
interface ControlBuilders {
  task<I extends object>(id: string, body: TaskFunction<I> | Operator<object>, args?: TaskArgs): Task;
}

function branchTask(owner: ControlBuilders, id: string, choose: TaskFunction, args: TaskArgs): Task {
  const t = owner.task(id, choose, args);
  t.control = { type: 'branch' };
  return t;
}

function shortCircuitTask(owner: ControlBuilders, id: string, condition: TaskFunction, opts: ShortCircuitOptions): Task {
  const { ignoreDownstreamTriggerRules = true, ...args } = opts;
  const t = owner.task(id, condition, args);
  t.control = { type: 'shortCircuit', ignoreDownstreamTriggerRules };
  return t;
}

function latestOnlyTask(owner: ControlBuilders, id: string, args: TaskArgs): Task {
  const t = owner.task(id, () => undefined, args);
  t.control = { type: 'latestOnly' };
  return t;
}

/**
 * A task group: its tasks' ids are prefixed `group.`; a dependency on a group means its
 * roots (downstream edges in) or its leaves (upstream edges out), as in Airflow.
 */
export class TaskGroup extends Dependable {
  readonly members: Node[] = [];

  constructor(
    readonly dag: Dag,
    readonly id: string,
    readonly parent: TaskGroup | undefined,
  ) {
    super();
  }

  /** Add a task to this group; its id becomes `<group>.<id>`. */
  task<A extends object>(id: string, body: Operator<A>, args?: TaskArgs): Task<A>;
  task<I extends object = Record<string, never>, R = unknown>(id: string, body: (ctx: TaskContext, input: I) => R, args?: TaskArgs): Task<I, Awaited<R>>;
  task(id: string, body: TaskFunction | Operator<object>, args: TaskArgs = {}): Task {
    return this.dag.addTask(id, body, args, this);
  }

  /** `dag.branch` inside this group. */
  branch(id: string, choose: TaskFunction, args: TaskArgs = {}): Task {
    return branchTask(this, id, choose, args);
  }

  /** `dag.shortCircuit` inside this group. */
  shortCircuit(id: string, condition: TaskFunction, opts: ShortCircuitOptions = {}): Task {
    return shortCircuitTask(this, id, condition, opts);
  }

  /** `dag.latestOnly` inside this group. */
  latestOnly(id: string, args: TaskArgs = {}): Task {
    return latestOnlyTask(this, id, args);
  }

  /** A nested group, `<group>.<id>`. */
  group(id: string): TaskGroup {
    return this.dag.addGroup(id, this);
  }

  /** Every task inside, nested groups included. */
  tasks(): Task[] {
    return this.members.flatMap((m) => (m instanceof Task ? [m] : m.tasks()));
  }
}

const DAG_BRAND = Symbol.for('dagbox.dag');

/** True for a Dag made by any loaded copy of dagbox (`instanceof` fails across module instances). */
export function isDag(value: unknown): value is Dag {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DAG_BRAND] === true;
}

/** An edge as declared between nodes; resolved to task ids when the DAG is finalised. */
export interface DeclaredEdge {
  from: NodeRef;
  to: NodeRef;
  /** Where the edge was declared, computed on demand. */
  where: () => SourceLocation | undefined;
}

/**
 * A DAG: tasks, their dependencies and a schedule. A DAG file default-exports one (or exports several).
 *
 * ```ts
 * import { Dag } from 'dagbox';
 *
 * const dag = new Dag({ id: 'nps', schedule: '@daily', startDate: '2021-02-05' });
 * const extract = dag.task('extract', async (ctx) => `rows for ${ctx.ds}`);
 * const load = dag.task('load', async (ctx) => ctx.log.info(String(ctx.xcom.pull('extract'))));
 * extract.to(load);
 * export default dag;
 * ```
 */
export class Dag {
  /** Brand checked by `isDag`: a DAG file may load its own copy of this module (tsx namespaces). */
  readonly [DAG_BRAND] = true;
  readonly id: string;
  readonly options: Readonly<DagOptions>;
  /** Tasks by full id, in declaration order. */
  readonly tasks = new Map<string, Task>();
  readonly location: SourceLocation | undefined;
  /** Problems found while building (duplicate ids); reported by validation with the DAG's file. */
  readonly buildErrors: { message: string; location: SourceLocation | undefined }[] = [];
  private readonly groups = new Map<string, TaskGroup>();
  private readonly edges: DeclaredEdge[] = [];
  private unresolved: DeclaredEdge[] | undefined;

  constructor(options: DagOptions) {
    this.options = Object.freeze({ ...options });
    this.id = options.id;
    this.location = callerLocation();
  }

  /**
   * Add a task. `body` is an async function of the task context (and of its TaskFlow input, see
   * `Task.with`), or an operator.
   */
  task<A extends object>(id: string, body: Operator<A>, args?: TaskArgs): Task<A>;
  task<I extends object = Record<string, never>, R = unknown>(id: string, body: (ctx: TaskContext, input: I) => R, args?: TaskArgs): Task<I, Awaited<R>>;
  task(id: string, body: TaskFunction | Operator<object>, args: TaskArgs = {}): Task {
    return this.addTask(id, body, args, undefined);
  }

  /**
   * A branch (Airflow's BranchPythonOperator / `@task.branch`): `choose` returns the id (or ids)
   * of the directly downstream task(s) to follow, or null for none; every other direct
   * downstream task is skipped, unless it is also downstream of a followed one.
   *
   * ```ts
   * const pick = dag.branch('pick', (ctx) => (ctx.ds.endsWith('1') ? 'full_load' : 'incremental'));
   * pick.to([fullLoad, incremental]);
   * ```
   */
  branch(id: string, choose: TaskFunction, args: TaskArgs = {}): Task {
    return branchTask(this, id, choose, args);
  }

  /**
   * Airflow's ShortCircuitOperator / `@task.short_circuit`: a falsy result skips the downstream
   * tasks (all of them by default, or only the direct ones with `ignoreDownstreamTriggerRules: false`).
   */
  shortCircuit(id: string, condition: TaskFunction, opts: ShortCircuitOptions = {}): Task {
    return shortCircuitTask(this, id, condition, opts);
  }

  /**
   * Airflow's LatestOnlyOperator: skips its direct downstream tasks unless the run's clock lies
   * in the interval after the run's (the run is the latest); manual runs always proceed.
   */
  latestOnly(id: string, args: TaskArgs = {}): Task {
    return latestOnlyTask(this, id, args);
  }

  /** A task group: tasks added to it get ids `<group>.<task>`. */
  group(id: string): TaskGroup {
    return this.addGroup(id, undefined);
  }

  /** @internal */
  addTask(id: string, body: TaskFunction | Operator<object>, args: TaskArgs, group: TaskGroup | undefined): Task {
    const where = lazyCallerLocation();
    const fullId = group ? `${group.id}.${id}` : id;
    if (this.tasks.has(fullId)) {
      this.buildErrors.push({ message: `task id "${fullId}" is defined twice in DAG "${this.id}"`, location: where() });
    }
    if (typeof body !== 'function' && (typeof body !== 'object' || body === null || typeof body.execute !== 'function')) {
      this.buildErrors.push({
        message: `task "${fullId}" of DAG "${this.id}" needs an async function or an operator as its body, got ${describe(body)}`,
        location: where(),
      });
    }
    const task = new Task(this, fullId, body, args, where, group);
    this.tasks.set(fullId, task);
    group?.members.push(task);
    return task;
  }

  /** @internal */
  addGroup(id: string, parent: TaskGroup | undefined): TaskGroup {
    const fullId = parent ? `${parent.id}.${id}` : id;
    if (this.groups.has(fullId)) {
      this.buildErrors.push({ message: `task group "${fullId}" is defined twice in DAG "${this.id}"`, location: callerLocation() });
    }
    const group = new TaskGroup(this, fullId, parent);
    this.groups.set(fullId, group);
    parent?.members.push(group);
    return group;
  }

  /** @internal Records edges; unknown ids and nodes of another DAG are reported at validation. */
  addEdges(from: NodeRef[], to: NodeRef[]): void {
    const where = lazyCallerLocation();
    for (const f of from) for (const t of to) this.edges.push({ from: f, to: t, where });
  }

  /** Declared edges, for validation. @internal */
  declaredEdges(): readonly DeclaredEdge[] {
    return this.edges;
  }

  /** A task or group by full id. */
  node(id: string): Node | undefined {
    return this.tasks.get(id) ?? this.groups.get(id);
  }

  /** Every task and group id, for "did you mean" suggestions. */
  nodeIds(): string[] {
    return [...this.tasks.keys(), ...this.groups.keys()];
  }

  /**
   * Resolve declared edges (ids, groups) to task edges and fill each task's upstream/downstream
   * sets. Returns the edges that could not be resolved, for validation to report. Idempotent.
   */
  finalise(): DeclaredEdge[] {
    if (this.unresolved) return this.unresolved;
    this.unresolved = [];
    const resolved: ResolvedEdge[] = [];
    for (const edge of this.edges) {
      const from = this.resolve(edge.from);
      const to = this.resolve(edge.to);
      if (from && to) resolved.push({ from, to });
      else this.unresolved.push(edge);
    }
    for (const { from, to } of resolved) {
      for (const f of leaves(from, resolved)) {
        for (const t of roots(to, resolved)) {
          this.tasks.get(f.id)?.downstream.add(t.id);
          this.tasks.get(t.id)?.upstream.add(f.id);
        }
      }
    }
    return this.unresolved;
  }

  private resolve(ref: NodeRef): Node | undefined {
    if (typeof ref === 'string') return this.node(ref);
    return ref.dag === this ? ref : undefined;
  }
}

function flatten(nodes: NodeLike | readonly NodeLike[]): NodeRef[] {
  if (Array.isArray(nodes)) return (nodes as readonly NodeLike[]).flatMap((n) => flatten(n));
  return [nodes as NodeRef];
}

type ResolvedEdge = { from: Node; to: Node };

/** Tasks of a group with no upstream edge from inside the group: where edges into the group land. */
function roots(node: Node, edges: readonly ResolvedEdge[]): Task[] {
  return boundary(node, edges, 'to');
}

/** Tasks of a group with no downstream edge to inside the group: where edges out of the group start. */
function leaves(node: Node, edges: readonly ResolvedEdge[]): Task[] {
  return boundary(node, edges, 'from');
}

/** The group's tasks that are not the `end` of any edge between two of its own tasks. */
function boundary(node: Node, edges: readonly ResolvedEdge[], end: 'from' | 'to'): Task[] {
  if (node instanceof Task) return [node];
  const members = new Set(node.tasks());
  const inner = new Set<Task>();
  for (const e of edges) {
    for (const f of expand(e.from)) for (const t of expand(e.to)) {
      if (members.has(f) && members.has(t)) inner.add(end === 'to' ? t : f);
    }
  }
  return [...members].filter((t) => !inner.has(t));
}

function expand(node: Node): Task[] {
  return node instanceof Task ? [node] : node.tasks();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without an execute() method' : typeof value;
}

/**
 * Airflow's `chain(a, b, [c, d], e)`: each element runs before the next; lists fan out and in.
 *
 * ```ts
 * chain(extract, [clean, enrich], load);
 * ```
 */
export function chain(...nodes: NodeLike[]): void {
  for (let i = 0; i + 1 < nodes.length; i++) {
    const from = flatten(nodes[i]!);
    const to = flatten(nodes[i + 1]!);
    const owner = [...from, ...to].find((n): n is Node => typeof n !== 'string');
    if (!owner) throw new Error('chain() needs at least one task or group object to know its DAG; got only ids');
    owner.dag.addEdges(from, to);
  }
}
