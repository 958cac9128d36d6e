import { resolve } from 'node:path';
import { prepareContainers } from './container-session.ts';
import { containerRuntimeAvailable } from './containers.ts';
import { ensureStateDir } from '../config/state-dir.ts';
import { errorMessage } from '../shared/errors.ts';
import { assertTempSpace } from './disk-space.ts';
import { resolveImageSet } from './images.ts';
import { generateSessionId } from './mask.ts';
import { mysqlBackend } from './mysql/index.ts';
import { Ownership, reapStale } from './ownership.ts';
import { postgresBackend } from './postgres/index.ts';
import { s3Backend } from './s3/index.ts';
import { chooseProvider, NoProviderError } from './select.ts';
import type { ProviderChoice, ProviderFacts } from './select.ts';
import { SERVICE_KINDS } from './types.ts';
import type { Availability, ProviderContext, ProviderName, ServiceBackend, ServiceKind, ServiceSet, StartedService } from './types.ts';

/** The backends a session starts, by kind. */
export const BACKENDS: Readonly<Record<ServiceKind, ServiceBackend>> = { mysql: mysqlBackend, postgres: postgresBackend, s3: s3Backend };

/** Options of {@link startServices}. */
export interface StartServicesOptions {
  /** Provider per service; default `auto` (containers, else local process, else external server). */
  readonly providers?: Partial<Record<ServiceKind, ProviderName | 'auto'>>;
  /** URIs of servers the user runs; default from DAGBOX_CONN_MYSQL / DAGBOX_CONN_POSTGRES / DAGBOX_CONN_S3. */
  readonly external?: Partial<Record<ServiceKind, string>>;
  /** Where ownership records live (`<stateDir>/services/`); default DAGBOX_STATE_DIR, else `.dagbox`. */
  readonly stateDir?: string;
  /** Where progress lines go; default stderr. Lines never contain passwords. */
  readonly log?: (line: string) => void;
  /** Readiness timeout per service; default 30 s for local processes, 120 s for containers, 10 s for external servers. */
  readonly timeoutMs?: number;
  /**
   * Which images containers run: `official` (docker/images.json, the default) or `local` (built here from
   * Debian packages with `npx dagbox images build`). DAGBOX_IMAGES overrides it.
   */
  readonly images?: string;
}

/** Thrown when a service failed to start; the others were stopped. `failures` holds each cause. */
export class StartServicesError extends Error {
  constructor(readonly failures: ReadonlyArray<{ kind: ServiceKind; error: unknown }>) {
    super(
      `Could not start ${failures.map((f) => f.kind).join(' and ')}; the services that did start were stopped.\n` +
        failures.map((f) => errorMessage(f.error)).join('\n'),
      { cause: failures[0]?.error },
    );
    this.name = 'StartServicesError';
  }
}

/**
 * Starts MySQL, Postgres and S3 for one session, in parallel, each by the provider asked for (or the
 * first that works, with `auto`), and prints which provider each got and how long it took. First it
 * cleans up after sessions under the same state dir that were killed without stopping their services.
 * If one service fails, the others are stopped and the error says why. Until the set is stopped, it is
 * stopped on Ctrl-C, SIGTERM, SIGHUP, when the event loop empties, and (servers killed, dirs removed)
 * on exit, including a crash.
 *
 * ```ts
 * await using services = await startServices({ providers: { postgres: 'local' } });
 * // postgres: local process (initdb+postgres 15) ready in 0.38s at postgres://dagbox:***@127.0.0.1:41234/dagbox
 * ```
 */
export async function startServices(opts: StartServicesOptions = {}): Promise<ServiceSet> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`dagbox: ${line}\n`));
  const stateDir = resolve(opts.stateDir ?? process.env.DAGBOX_STATE_DIR ?? '.dagbox');
  // Before any temp dir or server exists: a read-only project folder must leave nothing behind.
  ensureStateDir(stateDir, 'services');
  const session = generateSessionId();
  const imageSet = resolveImageSet(opts.images);
  const { leftovers } = await reapStale(stateDir, log);
  const { choices, runtime } = await chooseProvidersWithRuntime(opts);
  assertTempSpace(SERVICE_KINDS.filter((k) => choices[k].provider === 'local'));
  if (usesContainers(choices)) await prepareContainers(log);
  else if (!runtime.ok && Object.values(choices).some((c) => (opts.providers?.[c.kind] ?? 'auto') === 'auto')) {
    log(`containers: not used, ${runtime.reason}; using the next provider that works`);
  }
  const ownership = new Ownership(stateDir, session);
  const ctx: ProviderContext = { session, ownership, leftovers, log, imageSet };
  const started = new Map<ServiceKind, StartedService>();
  let stopping: Promise<void> | undefined;
  const stopAll = () => (stopping ??= stopStarted(started, () => removeHooks()));
  const removeHooks = installExitHooks(stopAll, () => ownership.killAllSync());
  const results = await Promise.allSettled(
    SERVICE_KINDS.map(async (kind) => {
      const service = await startOne(BACKENDS[kind], choices[kind], ctx, opts.timeoutMs);
      if (stopping) {
        // Ctrl-C (or a sibling's failure) arrived while this one was starting: it must not outlive the set.
        await service.stop();
        throw new Error(`${kind} finished starting after the session was asked to stop, and was stopped.`);
      }
      started.set(kind, service);
      log(`${kind}: ${service.description} ready in ${(service.startupMs / 1000).toFixed(2)}s at ${service.getMaskedUri()}`);
      return service;
    }),
  );
  const failures = SERVICE_KINDS.flatMap((kind, i) => {
    const result = results[i];
    return result?.status === 'rejected' ? [{ kind, error: result.reason as unknown }] : [];
  });
  if (failures.length > 0) {
    await stopAll().catch(() => {});
    throw new StartServicesError(failures);
  }
  return {
    session,
    mysql: started.get('mysql') as StartedService,
    postgres: started.get('postgres') as StartedService,
    s3: started.get('s3') as StartedService,
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
}

/**
 * Decides every service's provider before anything starts, so a request that cannot be met fails at
 * once with one error naming the ways out, instead of after the other services started.
 */
export async function chooseProviders(opts: Pick<StartServicesOptions, 'providers' | 'external'>): Promise<Record<ServiceKind, ProviderChoice>> {
  return (await chooseProvidersWithRuntime(opts)).choices;
}

type RuntimeFact = ProviderFacts['runtime'];

async function chooseProvidersWithRuntime(
  opts: Pick<StartServicesOptions, 'providers' | 'external'>,
): Promise<{ choices: Record<ServiceKind, ProviderChoice>; runtime: RuntimeFact }> {
  const requested = (kind: ServiceKind) => opts.providers?.[kind] ?? 'auto';
  const needsRuntime = SERVICE_KINDS.some((k) => ['auto', 'containers'].includes(requested(k)));
  const runtime = needsRuntime ? await containerRuntimeAvailable() : { ok: false as const, reason: 'containers were not asked for' };
  // Checked for every service (one `--version` each), so that any error can say what would work instead.
  const locals = await Promise.all(SERVICE_KINDS.map((k) => BACKENDS[k].localAvailability()));
  const choices: Partial<Record<ServiceKind, ProviderChoice>> = {};
  const problems: string[] = [];
  SERVICE_KINDS.forEach((kind, i) => {
    const backend = BACKENDS[kind];
    const facts: ProviderFacts = {
      runtime,
      local: locals[i] as Availability,
      externalUri: opts.external?.[kind] ?? (process.env[backend.envVar] || undefined),
    };
    const result = chooseProvider(backend, requested(kind), facts);
    if (result.ok) choices[kind] = result.choice;
    else problems.push(result.problem);
  });
  if (problems.length > 0) throw new NoProviderError(problems);
  return { choices: choices as Record<ServiceKind, ProviderChoice>, runtime };
}

/** Whether any service will (or, on a fallback, may) run in a container. */
function usesContainers(choices: Record<ServiceKind, ProviderChoice>): boolean {
  return Object.values(choices).some((c) => c.provider === 'containers' || c.fallbacks.includes('containers'));
}

/**
 * Starts the chosen provider; with `auto`, a provider that fails to start (say, an image that cannot
 * be pulled) hands over to the next one that could serve, and the log says why.
 */
async function startOne(backend: ServiceBackend, choice: ProviderChoice, ctx: ProviderContext, timeoutMs?: number): Promise<StartedService> {
  const order = [choice.provider, ...choice.fallbacks];
  for (let i = 0; ; i++) {
    const provider = order[i] as ProviderName;
    try {
      return await startWith(backend, provider, choice.uri, ctx, timeoutMs);
    } catch (error) {
      const next = order[i + 1];
      if (!next) throw error;
      ctx.log(`${backend.kind}: the ${provider} provider failed to start (${errorMessage(error)}); trying ${next}`);
    }
  }
}

function startWith(backend: ServiceBackend, provider: ProviderName, uri: string | undefined, ctx: ProviderContext, timeoutMs?: number): Promise<StartedService> {
  if (provider === 'containers') return backend.startContainer(ctx, { timeoutMs });
  if (provider === 'local') return backend.startLocal(ctx, { timeoutMs });
  return backend.startExternal(ctx, uri as string, { timeoutMs });
}

async function stopStarted(started: ReadonlyMap<ServiceKind, StartedService>, removeHooks: () => void): Promise<void> {
  const results = await Promise.allSettled([...started.values()].map((s) => s.stop()));
  removeHooks();
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length > 0) {
    throw new Error(`Stopping the services failed: ${errors.map(errorMessage).join('; ')}`, { cause: errors[0] });
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Installs this set's process hooks; returns the function that removes them (idempotent).
 * A signal stops the services, kills and removes what services still starting own so far, and then,
 * if no one else listens for it, re-raises it so the process ends as it would have; a second signal
 * while stopping kills the servers and exits at once.
 * 'beforeExit' stops a set someone forgot to stop; 'exit' (also reached after an uncaught error)
 * SIGKILLs what is left and removes its dirs synchronously.
 */
function installExitHooks(stopAll: () => Promise<void>, killSync: () => void): () => void {
  let signalled = false;
  let installed = true;
  // signal-exit (loaded by testcontainers' file lock) listens too, but ends the process itself once it is
  // the only listener; it must not count as the program handling the signal, or no one would end it.
  const programListens = (signal: NodeJS.Signals) => process.listeners(signal).some((l) => !isSignalExitListener(l));
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      killSync();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
    }
    signalled = true;
    void stopAll()
      .catch(() => {})
      .finally(() => {
        // Services still starting are not in the set yet: kill their servers and remove their dirs
        // (and so the ownership record) now, before the signal ends the process.
        killSync();
        if (!programListens(signal)) process.kill(process.pid, signal);
      });
  };
  const onBeforeExit = () => void stopAll().catch(() => killSync());
  const onExit = () => killSync();
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  return () => {
    if (!installed) return;
    installed = false;
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
  };
}

/** Whether a signal listener is signal-exit 3's, which re-raises the signal when it is the only listener left. */
function isSignalExitListener(listener: (...args: never[]) => unknown): boolean {
  return listener.name === 'listener' && String(listener).includes('emitter.count');
}
