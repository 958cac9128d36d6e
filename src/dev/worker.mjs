// Worker-thread entry of the dev loop's DAG host. Node 20 cannot start a worker with
// `--import tsx`, so tsx is registered here, with the hook that makes each reload of a DAG file
// fresh (./fresh-hooks.mjs), before the TypeScript side is imported.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('./fresh-hooks.mjs', import.meta.url);
await import('./dag-worker.ts');
