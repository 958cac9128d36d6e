import type { Command } from 'commander';
import pc from 'picocolors';
import type { Dag } from '../dag/dag.ts';
import { renderTaskFields, testTask } from '../run/index.ts';
import { didYouMean } from '../shared/suggest.ts';
import { intervalAt } from '../schedule/index.ts';
import { formatInterval, levels, shortDate, state as stateWord } from '../app/format.ts';
import { ms } from '../shared/ms.ts';
import { displayWidth, padEndDisplay } from '../shared/table.ts';
import { globals, jsonOption, servicesOption, type Io } from './options.ts';
import { cliDate, openProject, UserError, withSession } from '../app/project.ts';
import { scheduleSpecOf } from '../run/index.ts';
import type { ServicesFlag } from '../app/session.ts';

/** `dagbox tasks list|render|test`. */
export function registerTaskCommands(tasks: Command, io: Io, state: { exitCode: number }): void {
  registerListCommand(tasks, io);
  registerRenderCommand(tasks, io);
  registerTestCommand(tasks, io, state);
}

/** `dagbox tasks list`: the tasks of a DAG in run order. */
function registerListCommand(tasks: Command, io: Io): void {
  tasks
    .command('list')
    .description('List the tasks of a DAG in run order, with their kind and upstream tasks')
    .argument('<dag>', 'dag id')
    .addOption(jsonOption())
    .action(async (dagId: string, _opts, cmd: Command) => {
      const g = globals(cmd);
      const dag = (await openProject(g.cwd, g)).dag(dagId);
      const ordered = levels(dag).flat().map((id) => dag.tasks.get(id)!);
      if (g.json) {
        io.out(
          JSON.stringify(
            ordered.map((t) => ({
              taskId: t.id,
              kind: t.kind,
              upstream: [...t.upstream],
              triggerRule: t.args.triggerRule ?? dag.options.defaultArgs?.triggerRule ?? 'all_success',
              mapped: t.mapped ? Object.keys(t.mapped) : null,
            })),
            null,
            2,
          ),
        );
        return;
      }
      const width = Math.max(...ordered.map((t) => displayWidth(t.id) + (t.mapped ? 2 : 0)));
      for (const t of ordered) {
        const up = t.upstream.size > 0 ? pc.dim(` <- ${[...t.upstream].join(', ')}`) : '';
        const ruleName = t.args.triggerRule ?? dag.options.defaultArgs?.triggerRule;
        const rule = ruleName && ruleName !== 'all_success' ? pc.dim(` [${ruleName}]`) : '';
        const mapped = t.mapped ? pc.magenta(` mapped over ${Object.keys(t.mapped).join(', ')}`) : '';
        const id = t.mapped ? `${t.id}[]` : t.id;
        io.out(`${padEndDisplay(id, width)}  ${pc.cyan(t.kind)}${mapped}${rule}${up}`);
      }
    });
}

/** `dagbox tasks render`: a task's templated fields for one interval. */
function registerRenderCommand(tasks: Command, io: Io): void {
  tasks
    .command('render')
    .description("Render a task's templated fields for the interval at DATE, without running anything")
    .argument('<dag>', 'dag id')
    .argument('<task>', 'task id')
    .argument('<date>', 'logical date, e.g. 2021-02-05')
    .addOption(jsonOption())
    .action(async (dagId: string, taskId: string, date: string, _opts, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      requireTask(dag, taskId);
      const interval = intervalAt(scheduleSpecOf(dag), cliDate(date, dag, 'DATE'));
      const env = await project.env({ record: false });
      const fields = renderTaskFields(dag, taskId, interval, env.variables, { connections: env.connections, masker: env.masker });
      if (g.json) {
        io.out(JSON.stringify({ dagId, taskId, interval: formatInterval(interval), fields }, null, 2));
        return;
      }
      io.out(`${pc.bold(`${dagId}.${taskId}`)} for logical date ${shortDate(interval.start)} ${pc.dim(formatInterval(interval))}`);
      const entries = Object.entries(fields);
      if (entries.length === 0) io.out(pc.dim('  (a function task: it has no templated fields; ctx.render() renders at run time)'));
      for (const [field, value] of entries) {
        io.out(`${pc.cyan(`# ${field}`)}\n${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`);
      }
    });
}

/** `dagbox tasks test`: run one task for one interval without recording state. */
function registerTestCommand(tasks: Command, io: Io, state: { exitCode: number }): void {
  tasks
    .command('test')
    .description('Run one task for the interval at DATE: upstream tasks are not run, no state is recorded')
    .argument('<dag>', 'dag id')
    .argument('<task>', 'task id')
    .argument('<date>', 'logical date, e.g. 2021-02-05')
    .addOption(servicesOption())
    .addOption(jsonOption())
    .action(async (dagId: string, taskId: string, date: string, opts: { services?: ServicesFlag }, cmd: Command) => {
      const g = globals(cmd);
      const project = await openProject(g.cwd, g);
      const dag = project.dag(dagId);
      requireTask(dag, taskId);
      const interval = intervalAt(scheduleSpecOf(dag), cliDate(date, dag, 'DATE'));
      const result = await withSession(project, opts.services, (l) => io.err(pc.dim(l)), async () => {
        const env = await project.env({
          clockStart: interval.end,
          record: false,
          onEvent: g.json ? undefined : (e) => e.type === 'log' && io.err(pc.dim(`[${e.taskId}] ${e.line}`)),
        });
        return testTask(dag, taskId, interval, env);
      });
      if (g.json) io.out(JSON.stringify(result, null, 2));
      else {
        io.out(`${pc.bold(`${dagId}.${taskId}`)} ${shortDate(interval.start)} ${stateWord(result.state)} ${pc.dim(`try ${result.tryNumber} · ${ms(result.durationMs)}`)}`);
        if (result.error) io.err(`  ${pc.red('error')}: ${result.error}`);
      }
      if (result.state !== 'success') state.exitCode = 1;
    });
}

function requireTask(dag: Dag, taskId: string): void {
  if (!dag.tasks.has(taskId)) {
    throw new UserError(`DAG "${dag.id}" has no task "${taskId}"${didYouMean(taskId, dag.tasks.keys())}; \`dagbox tasks list ${dag.id}\` shows them`);
  }
}
