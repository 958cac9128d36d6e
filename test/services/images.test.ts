import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imagesFor, localImage, PACKAGE_ROOT, readRecipe, recipeHash, resolveImageSet } from '../../src/services/images.ts';

describe('image sets', () => {
  it('are official by default, DAGBOX_IMAGES wins over the config, and a bad value says where it came from', () => {
    expect(resolveImageSet(undefined, {})).toBe('official');
    expect(resolveImageSet('local', {})).toBe('local');
    expect(resolveImageSet('official', { DAGBOX_IMAGES: 'local' })).toBe('local');
    expect(() => resolveImageSet('latest', {})).toThrow('`images` in dagbox.config.ts is "latest", but it must be "official"');
    expect(() => resolveImageSet(undefined, { DAGBOX_IMAGES: 'mine' })).toThrow(/^DAGBOX_IMAGES is "mine".*npx dagbox images build/);
  });

  it('keep the official images of docker/images.json and name the local ones by recipe hash', () => {
    expect(imagesFor('official').s3).toMatch(/^minio\/minio:RELEASE\./);
    const local = imagesFor('local');
    expect(local).toEqual({
      mysql: expect.stringMatching(/^localhost\/dagbox-mysql:[0-9a-f]{16}$/),
      postgres: expect.stringMatching(/^localhost\/dagbox-postgres:[0-9a-f]{16}$/),
      s3: expect.stringMatching(/^localhost\/dagbox-s3:[0-9a-f]{16}$/),
    });
  });
});

describe('recipe hash', () => {
  it('is stable for an unchanged recipe and changes with any file of it, so only a changed recipe is rebuilt', () => {
    const root = mkdtempSync(join(tmpdir(), 'dagbox-test-recipe-'));
    try {
      cpSync(join(PACKAGE_ROOT, 'docker', 'postgres'), join(root, 'docker', 'postgres'), { recursive: true });
      const before = localImage('postgres', root);
      expect(localImage('postgres', root)).toBe(before);
      expect(before).toBe(localImage('postgres'));
      writeFileSync(join(root, 'docker', 'postgres', 'entrypoint.sh'), '#!/bin/sh\nexec postgres "$@"\n');
      expect(localImage('postgres', root)).not.toBe(before);
      expect(recipeHash(readRecipe('postgres', root), root)).toMatch(/^[0-9a-f]{16}$/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('covers the sources the S3 image bundles', () => {
    const recipe = readRecipe('s3');
    expect(recipe.bundle?.entry).toBe('src/services/s3/serve.ts');
    expect(recipe.inputs).toEqual(expect.arrayContaining(['src/services/s3/serve.ts', 'src/services/s3/s3-server.ts']));
  });
});
