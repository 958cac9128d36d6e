import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ServiceKind } from './types.ts';
import { errorMessage } from '../shared/errors.ts';
import { isLocalEngine } from './container-run.ts';
import { imagesFor, officialImages } from './images.ts';
import type { ImageSet } from './images.ts';

/**
 * How long detecting a container runtime may take before dagbox decides there is none. Only a configured
 * engine is asked (without one the answer is immediate), and a busy machine can take seconds to answer.
 */
const DETECT_TIMEOUT_MS = 30_000;

/**
 * Whether a container runtime answers, decided up front: testcontainers without one rejects ~1 ms
 * into `start()` with "Could not find a working container runtime strategy" (a plain Error). When none
 * of the places testcontainers looks exists (DOCKER_HOST, TESTCONTAINERS_HOST_OVERRIDE,
 * ~/.testcontainers.properties, the Docker sockets) the answer comes without loading testcontainers
 * (which takes ~0.5 s to import); otherwise testcontainers' own discovery pings the runtime.
 *
 * ```ts
 * const runtime = await containerRuntimeAvailable();
 * if (!runtime.ok) console.log(`no containers: ${runtime.reason}`);
 * ```
 */
export async function containerRuntimeAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const hints = runtimeHints();
  if (hints.length === 0) {
    return {
      ok: false,
      reason: 'no container runtime is configured: DOCKER_HOST is not set, ~/.testcontainers.properties does not exist and there is no Docker socket (/var/run/docker.sock, $XDG_RUNTIME_DIR/docker.sock, ~/.docker/run/docker.sock)',
    };
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), DETECT_TIMEOUT_MS, `no answer within ${DETECT_TIMEOUT_MS}ms`);
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `no container runtime answers at ${hints.join(' or ')} (${errorMessage(error)})` };
  }
}

/** The places a runtime could be that exist here, as testcontainers would look for them. */
function runtimeHints(): string[] {
  const env = process.env;
  const hints: string[] = [];
  if (env.TESTCONTAINERS_HOST_OVERRIDE) hints.push(`TESTCONTAINERS_HOST_OVERRIDE=${env.TESTCONTAINERS_HOST_OVERRIDE}`);
  if (env.DOCKER_HOST) hints.push(`DOCKER_HOST=${env.DOCKER_HOST}`);
  const properties = join(homedir(), '.testcontainers.properties');
  if (existsSync(properties)) hints.push(properties);
  const sockets = [
    '/var/run/docker.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'docker.sock') : '',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    join('/run', 'user', String(userInfo().uid), 'docker.sock'),
  ];
  hints.push(...sockets.filter((s) => s && existsSync(s)));
  if (process.platform === 'win32') hints.push('//./pipe/docker_engine');
  return hints;
}

/** The pinned official container images, read from docker/images.json (the same tags as docker/compose.yaml). */
export function containerImages(): Record<ServiceKind, string> {
  return officialImages();
}

/** The image a service's container runs in the session's image set. */
export function containerImage(kind: ServiceKind, set: ImageSet = 'official'): string {
  return imagesFor(set)[kind];
}

/** A port binding as Docker's HostConfig spells it. */
type PortBindings = Record<string, Array<{ HostIp?: string; HostPort?: string }> | undefined>;

/**
 * Restricts published ports to 127.0.0.1 (Docker's default is every interface) when the runtime runs
 * on this machine; a remote runtime (DOCKER_HOST=tcp://other-host) keeps its default, or its ports
 * would be unreachable from here.
 */
export async function bindToLoopback(hostConfig: { PortBindings?: PortBindings }): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  if (!isLocalEngine(client.info.containerRuntime.host)) return;
  for (const bindings of Object.values(hostConfig.PortBindings ?? {})) {
    for (const binding of bindings ?? []) binding.HostIp = '127.0.0.1';
  }
}

/** The host to connect to a container on: testcontainers says `localhost`, dagbox means IPv4 loopback. */
export function containerHost(host: string): string {
  return host === 'localhost' ? '127.0.0.1' : host;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
