// Worker-thread entry of the dev loop's DAG host. Node 20 cannot start a worker with
// `--import tsx`, so the TypeScript side is imported through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./dag-worker.ts', import.meta.url);
