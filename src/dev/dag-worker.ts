import { pathToFileURL } from 'node:url';
import { parentPort } from 'node:worker_threads';
import { createConnections } from '../config/connections.ts';
import { createVariables } from '../config/variables.ts';
import type { Dag } from '../dag/dag.ts';
import { loadDagFile, type DagLoadError } from '../dag/loader.ts';
import { maskerFor, runIntervals, RunStore, VirtualClock } from '../run/index.ts';
import { connectionHooks } from '../app/hooks.ts';
import type { DataInterval } from '../dag/types.ts';
import type { RunType } from '../run/index.ts';
import { summarize } from './dag-summary.ts';
import type { FileLoad, Reply, Request, RunSpec } from './protocol.ts';

/**
 * The dev loop's DAG host, inside a worker thread: it imports DAG files fresh (new module
 * instances, which never unload — the main thread replaces this worker every N reloads to free them) and
 * runs DAG code, so the main thread only holds plain data. Keeps the last good DAGs of a file
 * that stops loading.
 */
const port = parentPort!;
let version = 0;
/** A fresh import of a DAG file and of the project modules it imports (see fresh-hooks.mjs). */
const importFresh = (file: string) => import(`${pathToFileURL(file).href}?dagbox-v=${++version}`) as Promise<Record<string, unknown>>;
const byFile = new Map<string, Dag[]>();
const stores = new Map<string, Promise<RunStore>>();

port.on('message', (req: Request) => {
  handle(req).then(
    (reply) => port.postMessage(reply),
    (error: Error) => port.postMessage({ id: req.id, type: 'error', message: error.message, stack: error.stack } satisfies Reply),
  );
});

async function handle(req: Request): Promise<Reply> {
  switch (req.type) {
    case 'load':
      return { id: req.id, type: 'loaded', files: await Promise.all(req.files.map(load)) };
    case 'drop':
      for (const f of req.files) byFile.delete(f);
      return { id: req.id, type: 'dropped' };
    case 'run':
      return { id: req.id, type: 'ran', runs: await run(req.id, req.dagId, req.intervals, req.runType, req.spec) };
  }
}

async function load(file: string): Promise<FileLoad> {
  const bag = await loadDagFile(file, importFresh);
  const errors: DagLoadError[] = [...bag.errors];
  for (const { dag } of bag.dags) {
    const owner = [...byFile].find(([f, dags]) => f !== file && dags.some((d) => d.id === dag.id));
    if (owner) errors.push({ file, dagId: dag.id, line: dag.location?.line, message: `DAG id "${dag.id}" is already defined in ${owner[0]}; DAG ids must be unique across files` });
  }
  // A file with errors keeps its last good DAGs loaded, so a bad save never takes a DAG away.
  if (errors.length === 0) byFile.set(file, bag.dags.map((d) => d.dag));
  return { file, dags: (byFile.get(file) ?? []).map((d) => summarize(d, file)), errors };
}

async function run(id: number, dagId: string, intervals: DataInterval[], runType: RunType, spec: RunSpec) {
  const dag = [...byFile.values()].flat().find((d) => d.id === dagId);
  if (!dag) throw new Error(`DAG "${dagId}" is not loaded`);
  const variables = createVariables(spec.variables);
  const connections = createConnections(Object.fromEntries(spec.connections.map((c) => [c.connId, c])), {});
  const masker = maskerFor(variables, connections);
  for (const s of spec.secrets) masker.add(s);
  const services = connectionHooks(connections, spec.bucket, spec.fixturesDir);
  try {
    return await runIntervals(dag, intervals, {
      variables,
      connections,
      masker,
      clock: new VirtualClock(spec.clockStart),
      store: spec.stateDir ? await store(spec.stateDir) : undefined,
      hooks: spec.connections.length > 0 ? () => services.hooks() : undefined,
      onEvent: (event) => port.postMessage({ id, type: 'event', event } satisfies Reply),
    }, { runType });
  } finally {
    // Every connection closes after a run: restoring a snapshot needs the warehouse free.
    await services.close();
  }
}

function store(dir: string): Promise<RunStore> {
  let s = stores.get(dir);
  if (!s) stores.set(dir, (s = RunStore.open(dir)));
  return s;
}

