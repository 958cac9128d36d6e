import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT, readRecipe, recipeHash } from './images.ts';
import type { ImageRecipe } from './images.ts';
import { SERVICE_KINDS } from './types.ts';
import type { ServiceKind } from './types.ts';

/** Options of {@link buildLocalImages}. */
export interface BuildImagesOptions {
  /** Which images; default all three. */
  readonly kinds?: readonly ServiceKind[];
  /** Rebuild even when an image with the recipe's hash exists. */
  readonly force?: boolean;
  /** Debian mirror; default DAGBOX_DEBIAN_MIRROR, else the first one apt is configured with. */
  readonly mirror?: string;
  /** Where progress lines go, one per step. */
  readonly log: (line: string) => void;
  readonly root?: string;
}

/** What happened to one image. */
export interface BuiltImage {
  readonly kind: ServiceKind;
  readonly image: string;
  /** `built`, or `present` when an image with the recipe's hash was already there. */
  readonly outcome: 'built' | 'present';
  readonly seconds: number;
}

const STEPS = 5;

/**
 * Builds dagbox's local images from Debian 12 packages, in parallel, each tagged with the hash of its
 * recipe (docker/<kind>/image.json and the files it names), skipping those already present: a base
 * image (`debootstrap --variant=minbase --include=<packages>` from the Debian mirror, trimmed, imported;
 * kept and reused while the packages stay the same), then `build` on it copying the recipe's files (and,
 * for s3, the machine's Node binary and dagbox's S3 server bundled into one file) with the recipe's
 * ENTRYPOINT/CMD/ENV/EXPOSE. Needs root (debootstrap) and `podman` or `docker` on PATH.
 *
 * ```ts
 * await buildLocalImages({ log: console.log });
 * // [postgres] 1/5 recipe 3f2a9c0d1e2b4a5c: localhost/dagbox-postgres:3f2a9c0d1e2b4a5c is not here yet
 * ```
 */
export async function buildLocalImages(opts: BuildImagesOptions): Promise<BuiltImage[]> {
  const root = opts.root ?? PACKAGE_ROOT;
  const engine = engineCli();
  const kinds = opts.kinds ?? SERVICE_KINDS;
  const recipes = kinds.map((kind) => readRecipe(kind, root));
  const results = await Promise.allSettled(recipes.map((recipe) => buildOne(recipe, engine, root, opts)));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`${kinds[i]}: ${(r.reason as Error).message}`] : []));
  if (failed.length > 0) throw new Error(`Building the local images failed.\n${failed.join('\n')}`);
  return results.map((r) => (r as PromiseFulfilledResult<BuiltImage>).value);
}

async function buildOne(recipe: ImageRecipe, engine: string, root: string, opts: BuildImagesOptions): Promise<BuiltImage> {
  const started = performance.now();
  const hash = recipeHash(recipe, root);
  const image = `${recipe.image}:${hash}`;
  const step = (n: number, text: string) => opts.log(`[${recipe.kind}] ${n}/${STEPS} ${text}`);
  const seconds = () => (performance.now() - started) / 1000;
  if (!opts.force && (await imagePresent(engine, image))) {
    step(STEPS, `${image} is present (recipe unchanged); nothing to build`);
    return { kind: recipe.kind, image, outcome: 'present', seconds: seconds() };
  }
  step(1, `recipe ${hash}: building ${image}`);
  const work = mkdtempSync(join(tmpdir(), `dagbox-image-${recipe.kind}-`));
  try {
    const base = await ensureBase(recipe, engine, work, opts, step);
    step(4, `adding ${describeAdditions(recipe)}`);
    const context = join(work, 'context');
    const copies: string[] = [];
    const add = (from: string, to: string) => {
      const name = `f${copies.length}`;
      place(from, join(context, name));
      copies.push(`COPY ${name} ${to}`);
    };
    for (const [from, to] of Object.entries(recipe.files)) add(join(recipe.dir, from), to);
    if (recipe.node) add(realpathSync(process.execPath), recipe.node);
    if (recipe.bundle) {
      await bundle(join(root, recipe.bundle.entry), join(work, 'bundle', 'out.mjs'));
      add(join(work, 'bundle', 'out.mjs'), recipe.bundle.to);
    }
    const labels = [`LABEL dev.dagbox.recipe=${hash}`, `LABEL org.opencontainers.image.description="${recipe.description.replace(/"/g, "'")}"`];
    writeFileSync(join(context, 'Containerfile'), [`FROM ${base}`, ...copies, ...recipe.changes, ...labels, ''].join('\n'));
    step(5, `${engine} build -t ${image} (FROM ${base})`);
    const built = await run(engine, ['build', '--network', 'none', '-t', image, '-f', join(context, 'Containerfile'), context], join(work, 'build.log'));
    if (built.code !== 0) throw new Error(`${engine} build of ${image} failed:\n${tail(join(work, 'build.log'))}`);
    opts.log(`[${recipe.kind}] built ${image} in ${seconds().toFixed(0)}s`);
    return { kind: recipe.kind, image, outcome: 'built', seconds: seconds() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The recipe's base image: Debian 12 minbase with its packages, trimmed, imported as
 * `<image>-base:<hash of packages and removals>`. It is kept, so a recipe change that touches only the
 * files added on top (an entrypoint) rebuilds in seconds, without debootstrap.
 */
async function ensureBase(recipe: ImageRecipe, engine: string, work: string, opts: BuildImagesOptions, step: (n: number, text: string) => void): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify({ suite: 'bookworm', variant: 'minbase', packages: recipe.packages, remove: recipe.remove })).digest('hex').slice(0, 16);
  const base = `${recipe.image}-base:${key}`;
  if (!opts.force && (await imagePresent(engine, base))) {
    step(2, `base ${base} is present; no debootstrap needed`);
    step(3, 'nothing to trim');
    return base;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`building ${base} needs root (debootstrap makes a root file system); run the command as root.`);
  }
  const mirror = opts.mirror ?? debianMirror();
  const rootfs = join(work, 'rootfs');
  const include = recipe.packages.length ? ` + ${recipe.packages.join(', ')}` : '';
  step(2, `debootstrap bookworm minbase${include} from ${mirror} (minutes)`);
  const args = ['--variant=minbase', ...(recipe.packages.length ? [`--include=${recipe.packages.join(',')}`] : []), 'bookworm', rootfs, mirror];
  const boot = await run('debootstrap', args, join(work, 'debootstrap.log'));
  if (boot.code !== 0) throw new Error(`debootstrap ${args.join(' ')} failed (exit ${boot.code}):\n${tail(join(work, 'debootstrap.log'))}`);
  step(3, `trimming apt caches, documentation${recipe.remove.length ? ` and ${recipe.remove.join(', ')}` : ''}; importing as ${base}`);
  for (const path of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/info', ...recipe.remove]) {
    rmSync(join(rootfs, path.replace(/^\//, '')), { recursive: true, force: true });
  }
  mkdirSync(join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
  mkdirSync(join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
  const imported = await importRootfs(engine, rootfs, [`LABEL dev.dagbox.base=${key}`], base, join(work, 'import.log'));
  rmSync(rootfs, { recursive: true, force: true });
  if (imported !== 0) throw new Error(`${engine} import of ${base} failed:\n${tail(join(work, 'import.log'))}`);
  return base;
}

async function imagePresent(engine: string, image: string): Promise<boolean> {
  return (await run(engine, ['image', 'inspect', '--format', '{{.Id}}', image])).code === 0;
}

/** `podman` if it is on PATH, else `docker`. */
function engineCli(): string {
  const path = (process.env.PATH ?? '').split(':');
  for (const cli of ['podman', 'docker']) if (path.some((dir) => dir && existsSync(join(dir, cli)))) return cli;
  throw new Error('neither podman nor docker is on PATH; install one (on Debian: apt-get install podman) to build the local images.');
}

/** The first Debian mirror apt is configured with (deb822 or one-line format), or DAGBOX_DEBIAN_MIRROR. */
export function debianMirror(): string {
  if (process.env.DAGBOX_DEBIAN_MIRROR) return process.env.DAGBOX_DEBIAN_MIRROR;
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    const uri = /^URIs:\s*(\S+)/m.exec(readFileSync(deb822, 'utf8'))?.[1];
    if (uri) return uri;
  }
  if (existsSync('/etc/apt/sources.list')) {
    const uri = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(readFileSync('/etc/apt/sources.list', 'utf8'))?.[1];
    if (uri) return uri;
  }
  return 'http://deb.debian.org/debian';
}

function describeAdditions(recipe: ImageRecipe): string {
  const parts = Object.entries(recipe.files).map(([from, to]) => `${from} as ${to}`);
  if (recipe.node) parts.push(`this machine's Node ${process.version} as ${recipe.node}`);
  if (recipe.bundle) parts.push(`${recipe.bundle.entry} bundled as ${recipe.bundle.to}`);
  return parts.join(', ');
}

function place(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
  chmodSync(to, statSync(from).mode & 0o777);
}

/** Bundles a dagbox entry point and its dependencies into one ESM file for the image's Node. */
async function bundle(entry: string, to: string): Promise<void> {
  const { build } = await import('esbuild');
  mkdirSync(dirname(to), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: to,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'error',
    // CommonJS dependencies (s3rver and its own) call require(); ESM output needs one.
    banner: { js: "import { createRequire as dagboxCreateRequire } from 'node:module'; const require = dagboxCreateRequire(import.meta.url);" },
  });
}

function importRootfs(engine: string, rootfs: string, changes: readonly string[], image: string, logFile: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', image];
    const imp = spawn(engine, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    for (const stream of [tar.stderr, imp.stdout, imp.stderr]) stream.on('data', (d: Buffer) => output.push(d));
    tar.stdout.pipe(imp.stdin);
    tar.on('error', reject);
    imp.on('error', reject);
    imp.on('close', (code) => {
      writeFileSync(logFile, Buffer.concat(output));
      resolve(code ?? 1);
    });
  });
}

function run(cmd: string, args: readonly string[], logFile?: string): Promise<{ code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d));
    child.stderr.on('data', (d: Buffer) => output.push(d));
    child.on('error', (error) => reject(new Error(`could not run ${cmd}: ${error.message}`, { cause: error })));
    child.on('close', (code) => {
      if (logFile) writeFileSync(logFile, Buffer.concat(output));
      resolve({ code: code ?? 1 });
    });
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}
