/**
 * The values a template sees, by name, as Airflow's template context has them: `ds`, `params`,
 * `var`, `macros`, `ti`, ... Build it with {@link templateScope}; dates are pendulum-like
 * date-times in UTC.
 */
export type TemplateScope = Readonly<Record<string, unknown>>;

/**
 * A rendered template, in parts: literal text of the template, and one `value` part per
 * `{{ ... }}` evaluated, with the hole as written (`source`) and where it starts (`offset`).
 * Joining the texts gives the rendered string.
 */
export type TemplatePart = { kind: 'text'; text: string } | { kind: 'value'; text: string; source: string; offset: number };

/**
 * A template that cannot be rendered or checked: bad syntax, an unknown name, a failing macro or
 * a missing variable. The message names the place (`where`) and the expression.
 */
export class TemplateError extends Error {
  /** Where the template lives, e.g. `task "load" field "sql"`. */
  readonly where: string;
  /** The `{{ ... }}` expression at fault, when there is one. */
  readonly expression: string | undefined;
  /** The unknown name, for unknown-name errors (e.g. `dss`, `params.tabel`). */
  readonly unknownName: string | undefined;

  constructor(message: string, details: { where: string; expression?: string; unknownName?: string; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TemplateError';
    this.where = details.where;
    this.expression = details.expression;
    this.unknownName = details.unknownName;
  }
}
