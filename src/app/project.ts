/**
 * src/app/: the application layer that cli/, dev/ and testing/ sit on side by side: a Project
 * (project.ts: config, DAGs, run environment, run history, `openProject`), the session
 * (session.ts: servers + clients + fixtures + snapshots; hooks.ts: the task-context members they
 * give) and the text of runs for people (format.ts).
 *
 * Names: the *servers* are the running MySQL, Postgres and S3 (services/, a ServiceSet); a
 * *session* is those servers with their clients, fixtures and snapshots (app/session.ts); the
 * *dev session* is `dagbox dev`'s watch loop on a session (dev/dev-session.ts).
 *
 * May import: every folder below it (verify/, run/, operators/, alerts/, fixtures/, snapshot/,
 * services/, warehouse/, dag/, config/, template/, schedule/, sql/, shared/); never cli/, dev/ or
 * testing/ (the layers are checked by .dependency-cruiser.cjs).
 */
import { resolve } from 'node:path';
import { loadConfig, type DagboxConfig } from '../config/config.ts';
import { StateDirError, stateDirOf } from '../config/state-dir.ts';
import { createConnections, type ConnectionRegistry } from '../config/connections.ts';
import { createVariables } from '../config/variables.ts';
import type { Dag } from '../dag/dag.ts';
import { didYouMean } from '../shared/suggest.ts';
import { formatLoadError, loadDags, type DagBag } from '../dag/loader.ts';
import { maskerFor, RunStore, VirtualClock, type DagRunResult, type RunEnvironment, type RunEvent } from '../run/index.ts';
import { parseDate } from '../schedule/index.ts';
import { startSession, type ServicesFlag, type Session } from './session.ts';

/** A failure the CLI reports as one sentence and exit code, without a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** Everything a command needs: the config, the loaded DAGs and a run environment, built once per command. */
export interface Project {
  cwd: string;
  config: DagboxConfig;
  bag: DagBag;
  stateDir: string;
  fixturesDir: string;
  dagsDir: string;
  /** `dagbox.config.ts`, when the project has one. */
  configFile: string | null;
  /** Variables from the config (`DAGBOX_VAR_*` are read where runs happen). */
  variables: Record<string, unknown>;
  connections: ConnectionRegistry;
  /**
   * Start the session's services (per `--services` and the config), load fixtures, and register
   * their connections, secrets and hooks for every later `env()`. Stop it when the command ends.
   */
  startSession(flag: ServicesFlag | undefined, log: (line: string) => void, opts?: { fixtures?: boolean }): Promise<Session>;
  env(options?: { clockStart?: Date; record?: boolean; onEvent?: (e: RunEvent) => void }): Promise<RunEnvironment>;
  /** The recorded runs of a DAG. */
  history(dagId: string): Promise<DagRunResult[]>;
  /** The DAG with this id, or a UserError that lists the load error or suggests the nearest id. */
  dag(id: string): Dag;
}

/** Load the config of the project in `cwd` and, unless `load` is false (dev loads in a worker), its DAGs. */
export async function openProject(cwd: string, opts: { dags?: string; load?: boolean; stateDir?: string } = {}): Promise<Project> {
  const { config, file: configFile } = await loadConfig(cwd).catch((error: Error) => {
    throw new UserError(error.message);
  });
  const dagsDir = resolve(cwd, opts.dags ?? config.dags ?? 'dags');
  const stateDir = stateDirOf(cwd, opts.stateDir, config.stateDir);
  const fixturesDir = resolve(cwd, config.fixtures ?? 'fixtures');
  const bag = opts.load === false ? { dags: [], errors: [] } : await loadDags(dagsDir);
  const variables = createVariables(config.variables ?? {});
  const connections = createConnections(config.connections ?? {});
  let store: RunStore | undefined;
  let session: Session | undefined;
  return {
    cwd,
    config,
    bag,
    stateDir,
    fixturesDir,
    dagsDir,
    configFile,
    variables: config.variables ?? {},
    connections,
    async startSession(flag, log, { fixtures = true } = {}) {
      session = await startSession({ flag, modes: config.services, images: config.images, fixturesDir, stateDir, log }).catch(asUserError);
      try {
        for (const c of session.connections) connections.add(c);
        if (fixtures) await loadAndReport(session, log);
      } catch (error) {
        await session.stop();
        throw new UserError((error as Error).message);
      }
      return session;
    },
    async history(dagId) {
      store ??= await RunStore.open(stateDir).catch(asUserError);
      return store.runs(dagId);
    },
    async env({ clockStart = new Date(), record = true, onEvent } = {}) {
      if (record) store ??= await RunStore.open(stateDir).catch(asUserError);
      const masker = maskerFor(variables, connections);
      for (const secret of session?.secrets ?? []) masker.add(secret);
      return {
        variables,
        connections,
        masker,
        clock: new VirtualClock(clockStart),
        store: record ? store : undefined,
        hooks: session ? () => session!.hooks() : undefined,
        onEvent,
        ...(config.pools ? { pools: config.pools } : {}),
      };
    },
    dag(id) {
      const found = bag.dags.find((d) => d.dag.id === id);
      if (found) return found.dag;
      const broken = bag.errors.filter((e) => e.dagId === id);
      if (broken.length > 0) {
        throw new UserError(`DAG "${id}" did not load:\n${broken.map((e) => `  ${formatLoadError(e)}`).join('\n')}`);
      }
      const fileErrors = bag.errors.filter((e) => !e.dagId);
      const hint = fileErrors.length > 0 ? `\n${fileErrors.length} DAG file(s) failed to load and may define it:\n${fileErrors.map((e) => `  ${formatLoadError(e)}`).join('\n')}` : '';
      throw new UserError(`no DAG "${id}" in ${dagsDir}${didYouMean(id, bag.dags.map((d) => d.dag.id))}; \`dagbox dags list\` shows them${hint}`);
    },
  };
}

/** A state folder that cannot be written is the user's to fix: one sentence, no stack. */
function asUserError(error: unknown): never {
  if (error instanceof StateDirError) throw new UserError(error.message);
  throw error;
}

/** Load the fixtures folder into the session and say what was loaded. */
export async function loadAndReport(session: Session, log: (line: string) => void): Promise<void> {
  const report = await session.loadFixtures();
  if (report && report.files.length > 0) log(`fixtures: ${report.files.length} file(s) loaded in ${Math.round(report.ms)}ms`);
}

/**
 * Run `work` with the project's session started (services, fixtures, connections) and always
 * stopped afterwards, also when `work` throws.
 */
export async function withSession<T>(project: Project, flag: ServicesFlag | undefined, log: (line: string) => void, work: () => Promise<T>): Promise<T> {
  const session = await project.startSession(flag, log);
  try {
    return await work();
  } finally {
    await session.stop();
  }
}

/**
 * Parse a date given on the command line; a bad one is a UserError. A date without an offset is
 * UTC, whatever the DAG's time zone, as Airflow's CLI reads it (its `default_timezone`, `utc`):
 * `-s 2021-02-05` for a Seoul DAG is 2021-02-05T00:00Z, i.e. 09:00 in Seoul.
 */
export function cliDate(value: string, _dag: Dag, what: string): Date {
  try {
    return parseDate(value, 'UTC');
  } catch (error) {
    throw new UserError(`${what} "${value}" is not a date: ${(error as Error).message} (use e.g. 2021-02-05 or 2021-02-05T02:00:00+09:00)`, 2);
  }
}

