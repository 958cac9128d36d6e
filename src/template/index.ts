/**
 * Jinja-like templates with Airflow's run variables: `{{ ds }}`, `{{ params.x }}`,
 * `{{ var.value.KEY }}`, `{{ macros.ds_add(ds, 1) }}`. Rendering produces text; binding values
 * into SQL safely is the caller's job.
 *
 * May import: schedule/, shared/ (the layers are checked by .dependency-cruiser.cjs).
 */
export { render, checkTemplate } from './render.ts';
export { templateScope } from './scope.ts';
export { TemplateError, type TemplateScope } from './types.ts';
export { MACROS, dsAdd, dsFormat, type Macro } from './macros.ts';
