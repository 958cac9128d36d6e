import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnections } from '../../src/config/connections.ts';
import { createVariables } from '../../src/config/variables.ts';
import type { Dag } from '../../src/dag/dag.ts';
import { loadDags } from '../../src/dag/loader.ts';
import type { DataInterval } from '../../src/dag/types.ts';
import { maskerFor, scheduleSpecOf, VirtualClock, type RunEnvironment } from '../../src/run/index.ts';
import { backfillIntervals } from '../../src/schedule/index.ts';
import type { Snapshot } from '../../src/snapshot/index.ts';
import { startSession, type ServicesFlag, type Session } from '../../src/app/session.ts';
import { dagboxImport, repoRoot } from '../helpers/project.ts';
import { harnessProvider } from '../helpers/providers.ts';

/** The corpus of faulty and correct DAGs, with fixtures of its own. */
export const corpusDir = fileURLToPath(new URL('./corpus/', import.meta.url));

/** How tests start services: DAGBOX_TEST_PROVIDER (or DAGBOX_TEST_SERVICES: local, containers, external), default local processes. */
export const servicesFlag = harnessProvider((process.env.DAGBOX_TEST_SERVICES ?? 'local') as ServicesFlag);

/** The window every corpus test verifies: logical dates 2021-02-05, 02-06, 02-07. */
export const WINDOW = { from: '2021-02-05', to: '2021-02-08' } as const;

/** A running session on some fixtures, snapshotted, with a temp state dir. Close it in afterAll. */
export interface TestSession {
  readonly session: Session;
  readonly fixtures: Snapshot | null;
  env(): RunEnvironment;
  close(): Promise<void>;
}

/** Start services, load `fixturesDir`, snapshot it. */
export async function startTestSession(fixturesDir = join(corpusDir, 'fixtures')): Promise<TestSession> {
  const stateDir = mkdtempSync(join(tmpdir(), 'dagbox-test-verify-'));
  const session = await startSession({ flag: servicesFlag, fixturesDir, stateDir, log: () => {} });
  try {
    await session.loadFixtures();
    const fixtures = await session.snapshot('fixtures');
    const variables = createVariables({});
    const connections = createConnections({});
    for (const c of session.connections) connections.add(c);
    return {
      session,
      fixtures,
      env: () => ({
        variables,
        connections,
        masker: maskerFor(variables, connections),
        clock: new VirtualClock(new Date('2021-02-06T00:00:00Z')),
        hooks: () => session.hooks(),
      }),
      async close() {
        try {
          await session.dropSnapshot(fixtures);
        } finally {
          await session.stop();
          rmSync(stateDir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await session.stop();
    rmSync(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** The corpus DAGs by id. */
export async function corpusDags(): Promise<Map<string, Dag>> {
  const bag = await loadDags(join(corpusDir, 'dags'));
  if (bag.errors.length > 0) throw new Error(`corpus DAGs failed to load: ${JSON.stringify(bag.errors)}`);
  return new Map(bag.dags.map((d) => [d.dag.id, d.dag]));
}

/** The intervals of WINDOW for a DAG. */
export function windowOf(dag: Dag, from: string = WINDOW.from, to: string = WINDOW.to): DataInterval[] {
  const at = (d: string) => new Date(d.length === 10 ? `${d}T00:00:00Z` : d);
  return backfillIntervals(scheduleSpecOf(dag), at(from), at(to), { endExclusive: true, withinDagDates: true });
}

/**
 * A throwaway project holding the named corpus DAGs (and the helper module) and the corpus
 * fixtures, importing this checkout's dagbox; node_modules is linked so DAGs find the AWS SDK.
 */
export function corpusProject(dagIds: string[], extra: Record<string, string> = {}): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'dagbox-test-corpus-'));
  mkdirSync(join(dir, 'dags'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const copy = (name: string) =>
    writeFileSync(join(dir, 'dags', name), readFileSync(join(corpusDir, 'dags', name), 'utf8').replaceAll("from 'dagbox'", `from '${dagboxImport}'`));
  for (const helper of readdirSync(join(corpusDir, 'dags')).filter((f) => f.startsWith('_') && f.endsWith('.ts'))) copy(helper);
  for (const id of dagIds) copy(`${id}.ts`);
  cpSync(join(corpusDir, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
  for (const [path, text] of Object.entries(extra)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text.replaceAll('DAGBOX', dagboxImport));
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Every corpus DAG file's id. */
export function corpusIds(): string[] {
  return readdirSync(join(corpusDir, 'dags'))
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3));
}
