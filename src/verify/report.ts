import { ms } from '../shared/ms.ts';
import { formatCheckResult, formatStateDiff, failureWhere } from './format.ts';
import { plural, windowLabel } from './labels.ts';
import type { DagVerification } from './types.ts';

/** A whole `dagbox test` run: every DAG's verification plus DAG files that did not load. */
export interface TestReport {
  readonly startedAt: Date;
  readonly ms: number;
  readonly ok: boolean;
  readonly dags: readonly DagVerification[];
  /** DAG files or DAGs that failed to load, as `file:line: message`. */
  readonly loadErrors: readonly string[];
}

/** The report as JSON (dates as ISO strings). */
export function reportJson(report: TestReport): string {
  return JSON.stringify(report, null, 2);
}

/** The report as Markdown: a summary table, then every failure with its diff. */
export function reportMarkdown(report: TestReport): string {
  const out: string[] = [
    `# dagbox test: ${report.ok ? 'passed' : 'FAILED'}`,
    '',
    `${plural(report.dags.length, 'DAG')} verified in ${ms(report.ms)} (${report.startedAt.toISOString()}).`,
    '',
  ];
  if (report.loadErrors.length > 0) {
    out.push('## DAGs that did not load', '', ...report.loadErrors.map((e) => `- \`${e}\``), '');
  }
  out.push('| DAG | window | check | result | checked | failed | time |', '| --- | --- | --- | --- | ---: | ---: | ---: |');
  for (const d of report.dags) {
    for (const c of d.checks) {
      const status = c.status === 'pass' ? 'pass' : c.status === 'fail' ? '**FAIL**' : 'skip';
      out.push(`| ${d.dagId} | ${windowLabel(d.intervals)} | ${c.title} | ${status} | ${c.checked} | ${c.failed} | ${ms(c.ms)} |`);
    }
  }
  for (const d of report.dags) {
    const failed = d.checks.filter((c) => c.status !== 'pass');
    if (failed.length === 0) continue;
    out.push('', `## ${d.dagId}`);
    for (const c of failed) {
      out.push('', `### ${c.title}: ${c.status === 'fail' ? 'failed' : 'skipped'}`, '', c.summary);
      for (const f of c.failures) {
        const where = failureWhere(f);
        out.push('', `- ${where ? `**${where}**: ` : ''}${f.message}`);
        const detail = [...(f.rows ?? []).map((r) => JSON.stringify(r)), ...(f.diff ? formatStateDiff(f.diff, { color: false }) : [])];
        if (detail.length > 0) out.push('', '```text', ...detail, '```');
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** The report as JUnit XML: a testsuite per DAG, a testcase per check, failures with their diffs. */
export function reportJunit(report: TestReport): string {
  const count = (pred: (s: string) => boolean) => report.dags.reduce((n, d) => n + d.checks.filter((c) => pred(c.status)).length, 0);
  const tests = count(() => true) + report.loadErrors.length;
  const failures = count((s) => s === 'fail') + report.loadErrors.length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dagbox test" tests="${tests}" failures="${failures}" skipped="${count((s) => s === 'skip')}" time="${seconds(report.ms)}">`,
  ];
  if (report.loadErrors.length > 0) {
    lines.push(`  <testsuite name="dag files" tests="${report.loadErrors.length}" failures="${report.loadErrors.length}" skipped="0" time="0">`);
    for (const e of report.loadErrors) lines.push(`    <testcase classname="dagbox.load" name="${xml(e.split(':')[0] ?? e)}" time="0"><failure message="${xml(e)}">${xml(e)}</failure></testcase>`);
    lines.push('  </testsuite>');
  }
  for (const d of report.dags) {
    const f = d.checks.filter((c) => c.status === 'fail').length;
    const s = d.checks.filter((c) => c.status === 'skip').length;
    lines.push(`  <testsuite name="${xml(d.dagId)}" tests="${d.checks.length}" failures="${f}" skipped="${s}" time="${seconds(d.ms)}">`);
    for (const c of d.checks) {
      const open = `    <testcase classname="dagbox.${xml(d.dagId)}" name="${xml(c.title)}" time="${seconds(c.ms)}"`;
      if (c.status === 'pass') lines.push(`${open}/>`);
      else if (c.status === 'skip') lines.push(`${open}><skipped message="${xml(c.summary)}"/></testcase>`);
      else {
        const body = formatCheckResult(c, { color: false, maxFailures: 20 }).join('\n');
        lines.push(`${open}><failure message="${xml(c.summary)}">${xml(body)}</failure></testcase>`);
      }
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function xml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}
