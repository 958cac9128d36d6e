import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICE_KINDS } from './types.ts';
import type { ServiceKind } from './types.ts';

/** Which images the containers provider starts: the official ones, or those built here from Debian packages. */
export type ImageSet = 'official' | 'local';

/** Environment variable that selects the image set; it wins over `images` in dagbox.config.ts. */
export const IMAGE_SET_ENV = 'DAGBOX_IMAGES';

/** The command that builds the local images. */
export const BUILD_COMMAND = 'npx dagbox images build';

/** The folder holding dagbox's package: docker/ recipes and the sources an image bundles are under it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What `docker/<kind>/image.json` says about building one local image. */
export interface ImageRecipe {
  readonly kind: ServiceKind;
  /** The recipe's folder, `docker/<kind>`. */
  readonly dir: string;
  /** Repository of the image, e.g. `localhost/dagbox-postgres`; the tag is the recipe's hash. */
  readonly image: string;
  readonly description: string;
  /** Debian 12 packages installed on top of debootstrap's minbase. */
  readonly packages: readonly string[];
  /** Files of the recipe folder and where they go in the image. */
  readonly files: Readonly<Record<string, string>>;
  /** Where the machine's own Node binary goes, if the image needs one. */
  readonly node?: string;
  /** A dagbox source bundled into one JavaScript file, and where it goes. */
  readonly bundle?: { readonly entry: string; readonly to: string };
  /** Paths under the package root (beyond the recipe folder) whose content the image is built from. */
  readonly inputs: readonly string[];
  /** Paths removed from the root file system before it becomes the image. */
  readonly remove: readonly string[];
  /** Dockerfile-style instructions applied on import (ENTRYPOINT, CMD, ENV, EXPOSE, ...). */
  readonly changes: readonly string[];
}

/** Reads `docker/<kind>/image.json`. */
export function readRecipe(kind: ServiceKind, root = PACKAGE_ROOT): ImageRecipe {
  const dir = join(root, 'docker', kind);
  const file = join(dir, 'image.json');
  let raw: Partial<ImageRecipe>;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<ImageRecipe>;
  } catch (error) {
    throw new Error(`${file} could not be read as the recipe of the local ${kind} image: ${(error as Error).message}`, { cause: error });
  }
  if (!raw.image || !Array.isArray(raw.changes)) {
    throw new Error(`${file} must name the "image" (e.g. "localhost/dagbox-${kind}") and list its "changes" (ENTRYPOINT, CMD, ...).`);
  }
  return {
    kind,
    dir,
    image: raw.image,
    description: raw.description ?? '',
    packages: raw.packages ?? [],
    files: raw.files ?? {},
    node: raw.node,
    bundle: raw.bundle,
    inputs: raw.inputs ?? [],
    remove: raw.remove ?? [],
    changes: raw.changes,
  };
}

/**
 * The hash of everything an image is built from: its recipe folder and the inputs it names, each file's path, executable bit and content. An unchanged recipe has an unchanged hash, so its image,
 * tagged with it, is never rebuilt.
 */
export function recipeHash(recipe: ImageRecipe, root = PACKAGE_ROOT): string {
  const hash = createHash('sha256');
  const paths = [relative(root, recipe.dir), ...recipe.inputs];
  for (const file of paths.flatMap((p) => filesUnder(join(root, p))).sort()) {
    const mode = statSync(file).mode & 0o111 ? 'x' : '-';
    hash.update(`${relative(root, file)}\0${mode}\0`).update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/** `localhost/dagbox-postgres:<recipe hash>`. */
export function localImage(kind: ServiceKind, root = PACKAGE_ROOT): string {
  const recipe = readRecipe(kind, root);
  return `${recipe.image}:${recipeHash(recipe, root)}`;
}

/** The official images pinned in docker/images.json (the same tags as docker/compose.yaml). */
export function officialImages(root = PACKAGE_ROOT): Record<ServiceKind, string> {
  const file = join(root, 'docker', 'images.json');
  const images = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<ServiceKind, string>>;
  for (const kind of SERVICE_KINDS) {
    if (!images[kind]) throw new Error(`docker/images.json has no image for "${kind}"; expected e.g. {"${kind}": "<image>:<tag>"}.`);
  }
  return images as Record<ServiceKind, string>;
}

/**
 * The image set in force: DAGBOX_IMAGES if set, else the config's `images`, else `official`.
 * Anything else is an error that names where the bad value came from.
 */
export function resolveImageSet(configured?: string, env: NodeJS.ProcessEnv = process.env): ImageSet {
  const fromEnv = env[IMAGE_SET_ENV];
  const [value, where] = fromEnv ? [fromEnv, IMAGE_SET_ENV] : [configured ?? 'official', '`images` in dagbox.config.ts'];
  if (value !== 'official' && value !== 'local') {
    throw new Error(`${where} is "${value}", but it must be "official" (the images pinned in docker/images.json) or "local" (built here with ${BUILD_COMMAND}).`);
  }
  return value;
}

/** The image each service's container runs in `set`. */
export function imagesFor(set: ImageSet, root = PACKAGE_ROOT): Record<ServiceKind, string> {
  if (set === 'official') return officialImages(root);
  return { mysql: localImage('mysql', root), postgres: localImage('postgres', root), s3: localImage('s3', root) };
}

function filesUnder(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [];
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => filesUnder(join(path, name)));
}
