import { ms } from '../shared/ms.ts';
import { formatCheckResult, formatStateDiff, failureWhere, STATUS_WORD, statusCounts, VERDICT_WORD } from './format.ts';
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
    `# dagbox test: ${report.ok ? 'passed' : report.dags.some((d) => d.verdict === 'fail') || report.loadErrors.length > 0 ? 'FAILED' : 'INCOMPLETE (checks that did not run)'}`,
    '',
    `${plural(report.dags.length, 'DAG')} verified in ${ms(report.ms)} (${report.startedAt.toISOString()}): ${statusCounts(report.dags.flatMap((d) => d.checks))}.`,
    '',
  ];
  if (report.loadErrors.length > 0) {
    out.push('## DAGs that did not load', '', ...report.loadErrors.map((e) => `- \`${e}\``), '');
  }
  out.push('| DAG | window | verdict | check | result | checked | failed | time |', '| --- | --- | --- | --- | --- | ---: | ---: | ---: |');
  for (const d of report.dags) {
    for (const c of d.checks) {
      const status = c.status === 'fail' || c.status === 'not-run' ? `**${STATUS_WORD[c.status]}**` : STATUS_WORD[c.status];
      out.push(`| ${d.dagId} | ${windowLabel(d.intervals)} | ${VERDICT_WORD[d.verdict]} | ${c.title} | ${status} | ${c.checked} | ${c.failed} | ${ms(c.ms)} |`);
    }
  }
  for (const d of report.dags) {
    const failed = d.checks.filter((c) => c.status !== 'pass');
    if (failed.length === 0) continue;
    out.push('', `## ${d.dagId}: ${VERDICT_WORD[d.verdict]}`);
    for (const c of failed) {
      out.push('', `### ${c.title}: ${STATUS_WORD[c.status]}`, '', c.summary);
      for (const f of c.failures) {
        const where = failureWhere(f);
        out.push('', `- ${where ? `**${where}**: ` : ''}${f.message}`);
        const detail = [...(f.rows ?? []).map((r) => JSON.stringify(r)), ...(f.hints ?? []).map((h) => `hint: ${h}`), ...(f.diff ? formatStateDiff(f.diff, { color: false }) : [])];
        if (detail.length > 0) out.push('', '```text', ...detail, '```');
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/**
 * The report as JUnit XML: a testsuite per DAG, a testcase per check, failures with their diffs.
 * A check that did not run is an `<error>` (CI shows it red: no evidence is not a pass); one that
 * does not apply is `<skipped>`.
 */
export function reportJunit(report: TestReport): string {
  const count = (pred: (s: string) => boolean) => report.dags.reduce((n, d) => n + d.checks.filter((c) => pred(c.status)).length, 0);
  const tests = count(() => true) + report.loadErrors.length;
  const failures = count((s) => s === 'fail') + report.loadErrors.length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="dagbox test" tests="${tests}" failures="${failures}" errors="${count((s) => s === 'not-run')}" skipped="${count((s) => s === 'not-applicable')}" time="${seconds(report.ms)}">`,
  ];
  if (report.loadErrors.length > 0) {
    lines.push(`  <testsuite name="dag files" tests="${report.loadErrors.length}" failures="${report.loadErrors.length}" skipped="0" time="0">`);
    for (const e of report.loadErrors) lines.push(`    <testcase classname="dagbox.load" name="${xml(e.split(':')[0] ?? e)}" time="0"><failure message="${xml(e)}">${xml(e)}</failure></testcase>`);
    lines.push('  </testsuite>');
  }
  for (const d of report.dags) {
    const f = d.checks.filter((c) => c.status === 'fail').length;
    const e = d.checks.filter((c) => c.status === 'not-run').length;
    const s = d.checks.filter((c) => c.status === 'not-applicable').length;
    lines.push(`  <testsuite name="${xml(d.dagId)}" tests="${d.checks.length}" failures="${f}" errors="${e}" skipped="${s}" time="${seconds(d.ms)}">`);
    for (const c of d.checks) {
      const open = `    <testcase classname="dagbox.${xml(d.dagId)}" name="${xml(c.title)}" time="${seconds(c.ms)}"`;
      if (c.status === 'pass') lines.push(`${open}/>`);
      else if (c.status === 'not-applicable') lines.push(`${open}><skipped message="${xml(`not applicable: ${c.summary}`)}"/></testcase>`);
      else if (c.status === 'not-run') lines.push(`${open}><error type="not run" message="${xml(`not run: ${c.summary}`)}">${xml(`not run: ${c.summary}`)}</error></testcase>`);
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
