#!/usr/bin/env node
// Runs the TypeScript CLI straight from src/ through tsx, so `npx dagbox` needs no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const { endedBySignal } = await import('../src/cli/interrupt.ts');
process.exitCode = await main(process.argv);
// A command stopped by Ctrl-C/SIGTERM has recorded its state and stopped its services: end the
// process by that signal, without waiting for task code still in flight.
if (endedBySignal.signal) process.kill(process.pid, endedBySignal.signal);
