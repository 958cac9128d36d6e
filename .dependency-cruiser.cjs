/**
 * The layers of src/, checked by `npm run lint` (dependency-cruiser). A folder may import only the
 * folders listed for it here (and itself); types may cross layers (`import type` is erased at run
 * time), except into app/, cli/, dev/ and testing/, which nothing below them imports at all.
 * No runtime import cycle, between files or folders.
 *
 *   cli ─► dev ─┐  testing          the front ends, side by side on app/
 *               ▼     ▼
 *              app                   Project, session, reporting
 *   verify ─► run, snapshot          verification builds on runs and snapshots, not on services/
 *   fixtures ─► snapshot, warehouse  fixture DDL speaks Redshift too
 *   operators ─► warehouse           operators speak SQL to the Redshift stand-in
 *   services                         starting servers (containers, local processes, given URLs)
 *   run ─► warehouse                each task try gets its own warehouse connection
 *   dag ─► config, template ─► schedule; template ─► sql (SQL templates bind through the lexer)
 *   sql, shared                      identifier quoting and the SQL lexer; generic helpers
 */
const layers = {
  shared: [],
  sql: ['shared'],
  schedule: ['shared'],
  template: ['schedule', 'sql', 'shared'],
  config: ['shared'],
  dag: ['config', 'template', 'schedule', 'shared'],
  warehouse: ['sql', 'shared'],
  services: ['config', 'sql', 'shared'],
  snapshot: ['sql', 'shared'],
  fixtures: ['snapshot', 'warehouse', 'sql', 'shared'],
  alerts: ['dag', 'shared'],
  operators: ['dag', 'config', 'template', 'warehouse', 'schedule', 'sql', 'shared'],
  run: ['dag', 'config', 'template', 'warehouse', 'schedule', 'sql', 'shared'],
  verify: ['run', 'dag', 'config', 'template', 'schedule', 'snapshot', 'sql', 'shared'],
  app: ['verify', 'run', 'operators', 'alerts', 'fixtures', 'snapshot', 'services', 'warehouse', 'dag', 'config', 'template', 'schedule', 'sql', 'shared'],
  testing: ['app', 'verify', 'run', 'fixtures', 'snapshot', 'services', 'dag', 'config', 'schedule', 'sql', 'shared'],
  dev: ['app', 'verify', 'run', 'alerts', 'snapshot', 'services', 'dag', 'config', 'schedule', 'shared'],
  cli: ['app', 'dev', 'verify', 'run', 'services', 'dag', 'config', 'template', 'schedule', 'shared'],
};

const top = ['app', 'cli', 'dev', 'testing'];

module.exports = {
  forbidden: [
    {
      name: 'no-runtime-cycle',
      comment: 'A runtime import cycle makes module evaluation order matter; break it by moving the shared piece down.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    ...Object.entries(layers).map(([folder, allowed]) => ({
      name: `layer-${folder}`,
      comment: `src/${folder}/ may import only ${allowed.length > 0 ? allowed.join(', ') : 'nothing else in src/'} (see .dependency-cruiser.cjs)`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: { path: '^src/', pathNot: `^src/(${[folder, ...allowed].join('|')})/`, dependencyTypesNot: ['type-only'] },
    })),
    {
      name: 'nothing-below-imports-the-front-ends',
      comment: 'app/, cli/, dev/ and testing/ sit on top: no lower folder imports them, not even for types.',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${top.join('|')})/` },
      to: { path: `^src/(${top.join('|')})/` },
    },
    {
      name: 'the-public-entry-stays-below-the-app',
      comment: 'src/index.ts is what DAG files import: it must not pull in the app or a front end.',
      severity: 'error',
      from: { path: '^src/index\\.ts$' },
      to: { path: `^src/(${top.join('|')})/` },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
    cache: false,
  },
};
