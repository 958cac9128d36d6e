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

/** A task in a DAG: a function or an operator plus its arguments. Made by `dag.task(...)` or `group.task(...)`. */
export class Task extends Dependable {
  /** Upstream task ids, filled when the DAG is finalised. */
  readonly upstream = new Set<string>();
  readonly downstream = new Set<string>();

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

  /** `'python'` for a function task, else the operator's kind. */
  get kind(): string {
    return this.operator?.kind ?? 'python';
  }
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
  task<A extends object>(id: string, body: TaskFunction | Operator<A>, args: TaskArgs = {}): Task {
    return this.dag.addTask(id, body as TaskFunction | Operator<object>, args, this);
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

  /** Add a task. `body` is an async function of the task context, or an operator. */
  task<A extends object>(id: string, body: TaskFunction | Operator<A>, args: TaskArgs = {}): Task {
    return this.addTask(id, body as TaskFunction | Operator<object>, args, undefined);
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
