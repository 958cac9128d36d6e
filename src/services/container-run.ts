import { BUILD_COMMAND, IMAGE_SET_ENV } from './images.ts';
import type { ImageSet } from './images.ts';
import { engineAddress, ownerLabels } from './container-reaper.ts';
import { errorMessage } from '../shared/errors.ts';
import type { ProviderContext, ServiceKind } from './types.ts';

/** What {@link runContainer} needs of a testcontainers container before it starts. */
interface StartableContainer<T> {
  withLabels(labels: Record<string, string>): unknown;
  start(): Promise<T>;
}

/** What it needs of the started one. */
interface RunningContainer {
  getId(): string;
  getName(): string;
  stop(opts: { remove: boolean; removeVolumes: boolean }): Promise<unknown>;
}

/** Thrown when a service's image is neither on the engine nor pullable; says how to get it. */
export class ImageMissingError extends Error {
  constructor(kind: ServiceKind, image: string, set: ImageSet, cause?: unknown) {
    super(
      set === 'local'
        ? `${kind}: the image ${image} is not on this container engine (the local images are selected). ` +
            `Build it with \`${BUILD_COMMAND}\` (as root; it builds from Debian 12 packages), or select the official images with images: 'official' in dagbox.config.ts or ${IMAGE_SET_ENV}=official.`
        : `${kind}: the image ${image} is not on this container engine and could not be pulled${cause ? ` (${errorMessage(cause)})` : ''}. ` +
            `Where no registry is reachable, build dagbox's images from Debian 12 packages with \`${BUILD_COMMAND}\` (as root) and select them with images: 'local' in dagbox.config.ts or ${IMAGE_SET_ENV}=local.`,
      { cause },
    );
    this.name = 'ImageMissingError';
  }
}

/**
 * Starts a dagbox container: labelled with the session and owner process (so a later dagbox start can
 * remove it if this process dies without stopping it), its image checked first, recorded in the session's
 * ownership record, its published ports checked to be on 127.0.0.1 when the engine runs on this machine.
 * Returns the started container and the stop that removes it and forgets it; a container that fails a
 * check is removed before the error is thrown.
 */
export async function runContainer<T extends RunningContainer>(
  ctx: ProviderContext,
  kind: ServiceKind,
  image: string,
  container: StartableContainer<T>,
): Promise<{ started: T; stop: () => Promise<void> }> {
  const { getContainerRuntimeClient, ImageName } = await import('testcontainers');
  const client = await getContainerRuntimeClient();
  const set: ImageSet = ctx.imageSet ?? 'official';
  const imageName = ImageName.fromString(image);
  if (set === 'local' && !(await client.image.exists(imageName))) throw new ImageMissingError(kind, image, set);
  container.withLabels(ownerLabels(ctx.session));
  let started: T;
  try {
    started = await container.start();
  } catch (error) {
    if (!(await client.image.exists(imageName).catch(() => true))) throw new ImageMissingError(kind, image, set, error);
    throw error;
  }
  const id = started.getId();
  const name = started.getName().replace(/^\//, '');
  ctx.ownership.addContainer({ id, name, engine: engineAddress(client.container.dockerode) });
  const stop = async () => {
    try {
      await started.stop({ remove: true, removeVolumes: true });
    } catch (error) {
      throw new Error(
        `${kind}: container ${name} could not be stopped and removed: ${errorMessage(error)}. ` +
          `If the container engine (${process.env.DOCKER_HOST ?? 'Docker'}) stopped answering, start it again: the next dagbox start removes the container once this process has ended.`,
        { cause: error },
      );
    }
    ctx.ownership.removeContainer(id);
  };
  try {
    if (isLocalEngine(client.info.containerRuntime.host)) {
      const inspect = await client.container.inspect(client.container.getById(id));
      const published = Object.entries(inspect.NetworkSettings.Ports ?? {}).flatMap(([port, bindings]) =>
        (bindings ?? []).map((b) => ({ port, hostIp: b.HostIp ?? '' })),
      );
      const open = published.filter((b) => b.hostIp !== '127.0.0.1');
      if (open.length > 0) {
        throw new Error(
          `${kind}: container ${name} publishes ${open.map((b) => `${b.port} on "${b.hostIp || 'every interface'}"`).join(', ')}, ` +
            'but dagbox publishes ports on 127.0.0.1 only; it was removed. Report this: the engine did not honour the loopback binding.',
        );
      }
    }
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { started, stop };
}

/** Whether the engine runs on this machine (its ports then can, and must, be bound to loopback). */
export function isLocalEngine(host: string): boolean {
  return ['localhost', '127.0.0.1', '::1'].includes(host);
}
