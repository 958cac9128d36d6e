import { reapOrphanContainers } from './container-reaper.ts';
import type { ReaperDocker } from './container-reaper.ts';
import { errorMessage } from '../shared/errors.ts';

/** Ryuk's image as testcontainers 11 names it (RYUK_CONTAINER_IMAGE overrides, as in testcontainers). */
const RYUK_IMAGE = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';

/**
 * Gets the engine ready for a session's containers: removes the containers of dagbox sessions on this
 * machine that died without stopping them, and decides who else reaps. Where Ryuk's image is present,
 * Ryuk keeps its job; where it is not (no registry, a firewall), testcontainers is told not to start it
 * (instead of failing every container on the missing image) and dagbox alone removes its containers:
 * on stop, Ctrl-C, SIGTERM and exit, and at the next start after a kill.
 */
export async function prepareContainers(log: (line: string) => void): Promise<void> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  try {
    await reapOrphanContainers(client.container.dockerode as unknown as ReaperDocker, log);
  } catch (error) {
    log(`could not look for containers left by killed dagbox sessions: ${errorMessage(error)}`);
  }
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === 'true') return;
  if (await client.image.exists(ImageName.fromString(RYUK_IMAGE)).catch(() => false)) return;
  // testcontainers reads this when it first needs its reaper, which is after this point.
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  log(`containers: Ryuk's image ${RYUK_IMAGE} is not on this engine, so dagbox removes its containers itself (on exit; after a kill, at the next start)`);
}
