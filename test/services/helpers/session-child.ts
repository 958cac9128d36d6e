// A dagbox session in a child process, for the tests of what happens when a session's process ends:
// starts local services under the state dir argv[2], prints READY and what it owns (pids, dirs), then
// either waits to be signalled or killed (argv[3] = 'wait', the default) or returns without stopping
// them (argv[3] = 'forget').
import { startServices } from '../../../src/services/index.ts';
import { records } from './context.ts';

const [stateDir, mode = 'wait'] = process.argv.slice(2);
if (!stateDir) throw new Error('usage: session-child.ts <stateDir> [wait|forget]');
await startServices({ stateDir, providers: { mysql: 'local', postgres: 'local', s3: 'local' }, log: () => {} });
const own = records(stateDir);
const owned = { pids: own.flatMap((r) => r.processes.map((p) => p.pid)), dirs: own.flatMap((r) => r.dirs) };
process.stdout.write(`READY ${JSON.stringify(owned)}\n`);
if (mode === 'wait') setInterval(() => {}, 60_000);
