/**
 * Airflow's templates: the part of Jinja that Airflow DAGs use (`{{ ds }}`, `{{ params.x }}`,
 * `{{ var.value.KEY }}`, `{{ macros.ds_add(ds, 1) }}`, `{{ data_interval_start | ds_nodash }}`,
 * `{% if %}`, `{% for %}`), with Airflow's context values. Rendering produces text (or its parts);
 * binding values into SQL safely is the caller's job. It is written here, not taken from a
 * JavaScript Jinja: nunjucks renders Python's values and methods differently (`None` as empty,
 * `ds.replace('-', '')` replacing once, dates as JavaScript prints them), and the parts are what
 * lets SQL binding know which text came from a value.
 *
 * May import: schedule/, shared/ (the layers are checked by .dependency-cruiser.cjs).
 */
export { render, renderParts } from './render.ts';
export { checkTemplate } from './check.ts';
export { templateScope, CONTEXT_NAMES, type ScopeInput, type ScopeTask } from './scope.ts';
export { TemplateError, type TemplateScope, type TemplatePart } from './types.ts';
export { MACROS, MACRO_USAGE, dsAdd, dsFormat, type Macro } from './macros.ts';
export { PyDateTime, PyDate, TimeDelta, RelativeDelta } from './dates.ts';
