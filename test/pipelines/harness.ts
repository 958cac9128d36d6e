import { GetObjectCommand } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { startWebhookSink, type WebhookSink } from '../../src/alerts/index.ts';
import { createConnections } from '../../src/config/connections.ts';
import { createVariables } from '../../src/config/variables.ts';
import { Dag } from '../../src/dag/dag.ts';
import type { Operator, TaskArgs, TaskState } from '../../src/dag/types.ts';
import { loadDags } from '../../src/dag/loader.ts';
import { maskerFor, runIntervals, VirtualClock, type DagRunResult, type RunEnvironment } from '../../src/run/index.ts';
import { backfillIntervals, parseDate } from '../../src/schedule/index.ts';
import { startSession, type Session } from '../../src/app/session.ts';
import type { Snapshot } from '../../src/snapshot/index.ts';
import { repoRoot } from '../helpers/project.ts';
import { harnessProvider } from '../helpers/providers.ts';

/** One session (fresh local services, the repo's fixtures) for the pipeline tests of a file. */
export interface PipelineHarness {
  readonly session: Session;
  /** Records what slackAlert posts (Variable `slack_webhook` points at it). */
  readonly sink: WebhookSink;
  /** A DAG of dags/ by id (or one given). */
  dag(id: string): Dag;
  /** Airflow's `dags backfill -s start -e end`: the intervals with logical date in [start, end), one at a time. */
  backfill(dag: string | Dag, start: string, end: string, opts?: { maxActiveRuns?: number; reverse?: boolean }): Promise<DagRunResult[]>;
  /**
   * Run one operator as task `op` of a one-task DAG for the day `ds` (default 2021-02-05), through
   * the real executor, and return its state, error, log and XCom return value.
   */
  runOperator<A extends object>(operator: Operator<A>, opts?: { ds?: string; args?: TaskArgs }): Promise<OperatorRun>;
  /** Warehouse rows with every value as Postgres text (null for NULL). */
  pg(sql: string, values?: unknown[]): Promise<Record<string, string | null>[]>;
  /** MySQL rows with values as MySQL's exact text (null for NULL). */
  mysql(sql: string, values?: unknown[]): Promise<Record<string, string | null>[]>;
  /** An object of the session bucket, as text. */
  s3Text(key: string): Promise<string>;
  /** Put every service back as the fixtures left it, and forget webhook messages. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** What {@link PipelineHarness.runOperator} saw. */
export interface OperatorRun {
  state: TaskState;
  error: string | undefined;
  log: string;
  value: unknown;
}

/**
 * Start a harness: services (as `auto` picks, or DAGBOX_TEST_PROVIDER), fixtures from
 * fixtures/, DAGs from dags/, a webhook sink, and a snapshot to reset to between tests.
 */
export async function startPipelineHarness(variables: Record<string, unknown> = {}): Promise<PipelineHarness> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dagbox-pipelines-'));
  const sink = await startWebhookSink();
  let session: Session | undefined;
  try {
    session = await startSession({ flag: harnessProvider('auto'), fixturesDir: join(repoRoot, 'fixtures'), stateDir, log: () => {} });
    await session.loadFixtures();
    const snap: Snapshot | null = await session.snapshot('fixtures');
    const bag = await loadDags(join(repoRoot, 'dags'));
    if (bag.errors.length > 0) throw new Error(`dags/ did not load: ${bag.errors.map((e) => `${e.file}: ${e.message}`).join('; ')}`);
    const live = session;
    const vars = createVariables({ slack_webhook: sink.url, ...variables }, {});
    const connections = createConnections({}, {});
    for (const c of live.connections) connections.add(c);
    const env = (start: Date): RunEnvironment => {
      const masker = maskerFor(vars, connections);
      for (const s of live.secrets) masker.add(s);
      return { variables: vars, connections, masker, clock: new VirtualClock(start), hooks: () => live.hooks() };
    };
    const dag = (id: string): Dag => {
      const found = bag.dags.find((d) => d.dag.id === id);
      if (!found) throw new Error(`no DAG "${id}" in dags/ (have ${bag.dags.map((d) => d.dag.id).join(', ')})`);
      return found.dag;
    };
    const backfill: PipelineHarness['backfill'] = async (which, start, end, opts = {}) => {
      const d = typeof which === 'string' ? dag(which) : which;
      const tz = d.options.timezone ?? 'UTC';
      const spec = {
        schedule: d.options.schedule ?? null,
        startDate: parseDate(d.options.startDate, tz),
        endDate: d.options.endDate !== undefined ? parseDate(d.options.endDate, tz) : null,
        timezone: tz,
        catchup: d.options.catchup ?? true,
      };
      const intervals = backfillIntervals(spec, parseDate(start, tz), parseDate(end, tz), { endExclusive: true, withinDagDates: true });
      if (opts.reverse) intervals.reverse();
      return runIntervals(d, intervals, env(intervals[0]?.end ?? new Date(0)), { maxActiveRuns: opts.maxActiveRuns });
    };
    return {
      session: live,
      sink,
      dag,
      backfill,
      async runOperator(operator, opts = {}) {
        const ds = opts.ds ?? '2021-02-05';
        let value: unknown;
        const d = new Dag({ id: 'operator_test', schedule: '@daily', startDate: '2021-01-01' });
        d.task('op', operator, opts.args ?? {}).to(d.task('capture', (ctx) => void (value = ctx.xcom.pull('op')), { triggerRule: 'all_done' }));
        const next = new Date(Date.parse(`${ds}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
        const [run] = await backfill(d, ds, next);
        const op = run!.tasks.find((t) => t.taskId === 'op')!;
        return { state: op.state, error: op.error, log: op.log.join('\n'), value };
      },
      async pg(sql, values = []) {
        const result = await live.clients.postgres!.pool.query({ text: sql, values, types: { getTypeParser: () => (v: string) => v } as never });
        return result.rows as Record<string, string | null>[];
      },
      async mysql(sql, values = []) {
        const [rows] = await live.clients.mysql!.pool.query<RowDataPacket[]>({
          sql,
          values,
          typeCast: (field, next) => {
            const text = field.string('utf8');
            void next;
            return text;
          },
        });
        return rows as Record<string, string | null>[];
      },
      async s3Text(key) {
        const response = await live.clients.s3!.client.send(new GetObjectCommand({ Bucket: live.clients.s3!.bucket, Key: key }));
        return response.Body!.transformToString('utf8');
      },
      async reset() {
        await live.restore(snap);
        sink.messages.length = 0;
      },
      async close() {
        await live.dropSnapshot(snap).catch(() => {});
        await live.stop();
        await sink.close();
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await session?.stop();
    await sink.close();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** The task states of a run, `{ task: state }`, for compact assertions. */
export function states(run: DagRunResult): Record<string, string> {
  return Object.fromEntries(run.tasks.map((t) => [t.taskId, t.state]));
}
