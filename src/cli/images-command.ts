import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { buildLocalImages } from '../services/image-build.ts';
import { imagesFor, IMAGE_SET_ENV } from '../services/images.ts';
import { SERVICE_KINDS, type ServiceKind } from '../services/types.ts';
import type { Io } from './options.ts';
import { UserError } from '../app/project.ts';

/** `dagbox images build` and `dagbox images list`: the container images built here from Debian 12 packages. */
export function registerImagesCommand(program: Command, io: Io, state: { exitCode: number }): void {
  const images = program
    .command('images')
    .description(`Container images built here from Debian 12 packages (docker/), for machines that cannot pull the official ones; select them with images: 'local' in dagbox.config.ts or ${IMAGE_SET_ENV}=local`);
  images
    .command('build')
    .description('Build the local images (as root: debootstrap, then podman/docker build), each tagged with the hash of its recipe; present ones are skipped')
    .option('--only <kinds>', 'comma-separated: mysql, postgres, s3 (default: all three)', parseKinds)
    .option('--force', 'rebuild even when an image with the recipe hash is present')
    .action(async (opts: { only?: ServiceKind[]; force?: boolean }) => {
      try {
        const built = await buildLocalImages({ kinds: opts.only, force: opts.force, log: io.out });
        const fresh = built.filter((b) => b.outcome === 'built').length;
        io.out(`${fresh} built, ${built.length - fresh} already present. Use them with images: 'local' in dagbox.config.ts or ${IMAGE_SET_ENV}=local.`);
      } catch (error) {
        throw new UserError((error as Error).message);
      }
      state.exitCode = 0;
    });
  images
    .command('list')
    .description('Print the image each service runs with the official set and with the local set')
    .action(() => {
      const official = imagesFor('official');
      const local = imagesFor('local');
      for (const kind of SERVICE_KINDS) io.out(`${kind.padEnd(8)} official ${official[kind].padEnd(44)} local ${local[kind]}`);
    });
  images
    .command('env')
    .description('Print the variables that make docker/compose.yaml run the local images (KEY=value lines, for --env-file)')
    .action(() => {
      const local = imagesFor('local');
      for (const kind of SERVICE_KINDS) io.out(`DAGBOX_${kind.toUpperCase()}_IMAGE=${local[kind]}`);
    });
  images.exitOverride();
}

function parseKinds(value: string): ServiceKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !(SERVICE_KINDS as readonly string[]).includes(k));
  if (bad.length) throw new InvalidArgumentError(`unknown service "${bad.join(', ')}"; expected mysql, postgres or s3`);
  return kinds as ServiceKind[];
}
