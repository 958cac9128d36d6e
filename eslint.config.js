// ESLint (flat config) with typescript-eslint: `npm run lint` runs it with dependency-cruiser
// (.dependency-cruiser.cjs: layers and import cycles) and knip (knip.json: unused files, exports
// and dependencies). No type-aware rules: they would need the whole program and double the time.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance', 'structuredClone', 'AbortController', 'AbortSignal'].map((name) => [name, 'readonly']),
);

export default defineConfig(
  { ignores: ['node_modules/', '.dagbox/', 'coverage/', '**/*.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    languageOptions: { globals: nodeGlobals },
    rules: {
      // `import type` for types: erased imports keep the runtime graph (and its layers) honest.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Small functions named for what they do (STYLE.md): split long ones by meaning.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // Tests are long describe() blocks by nature.
    files: ['test/**', 'bench/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
);
