// A dagbox session in a child process, for the tests of what happens when a session's process ends:
// starts services under the state dir argv[2] (local processes, or the providers given as JSON in argv[4]),
// prints READY and what it owns (pids, dirs, container ids), then waits to be signalled or killed
// (argv[3] = 'wait', the default), returns without stopping them ('forget'), or calls process.exit
// at once ('exit').
import { startServices } from '../../../src/services/index.ts';
import { records } from './context.ts';

const [stateDir, mode = 'wait', providers = '{"mysql":"local","postgres":"local","s3":"local"}'] = process.argv.slice(2);
if (!stateDir) throw new Error('usage: session-child.ts <stateDir> [wait|forget|exit] [providers as JSON]');
await startServices({ stateDir, providers: JSON.parse(providers) as Record<string, 'local'>, log: () => {} });
const own = records(stateDir);
const owned = {
  pids: own.flatMap((r) => r.processes.map((p) => p.pid)),
  dirs: own.flatMap((r) => r.dirs),
  containers: own.flatMap((r) => (r.containers ?? []).map((c) => c.id)),
};
process.stdout.write(`READY ${JSON.stringify(owned)}\n`);
if (mode === 'wait') setInterval(() => {}, 60_000);
if (mode === 'exit') process.exit(0);
