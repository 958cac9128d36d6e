/**
 * DAG and task params with defaults and validation, as Airflow's `Param(default, type=..., ...)`
 * (a JSON Schema per param). A plain value in `params` is a param whose default is that value and
 * which accepts anything; `param(default, schema)` declares one that is checked.
 */

/** JSON types a param may be declared with. */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

/** The JSON Schema keywords dagbox checks; others are refused so that nothing is silently unchecked. */
export interface ParamSchema {
  type?: ParamType | ParamType[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  description?: string;
  title?: string;
}

const KNOWN = new Set(['type', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'description', 'title']);
const TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object', 'null']);

/** Marks Param objects across module instances (a DAG file may load its own copy of dagbox). */
const PARAM_BRAND = Symbol.for('dagbox.param');

/** A declared param (made by {@link param}); `hasDefault` is false for a param that must be supplied. */
export class Param {
  readonly [PARAM_BRAND] = true;

  constructor(
    readonly defaultValue: unknown,
    readonly hasDefault: boolean,
    readonly schema: ParamSchema,
  ) {}
}

/**
 * Declare a param with a default and a schema, as Airflow's `Param(5, type="integer", minimum=1)`.
 * Without a default (`param(undefined, { type: 'string' })`) the value must come from the run's
 * conf (`dagbox dags trigger DAG --conf '{"x": ...}'`), so the DAG must then be manual, as in Airflow.
 *
 * ```ts
 * new Dag({ id: 'nps', schedule: '@daily', startDate: '2021-02-05', params: { limit: param(100, { type: 'integer', minimum: 1 }) } });
 * ```
 */
export function param(defaultValue?: unknown, schema: ParamSchema = {}): Param {
  return new Param(defaultValue, defaultValue !== undefined, schema);
}

/** True for a value made by {@link param}, whichever copy of dagbox made it. */
export function isParam(value: unknown): value is Param {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PARAM_BRAND] === true;
}

/**
 * The params a run (or one task) sees: declared defaults, overridden by `supplied` (the run's
 * `dag_run.conf`, as Airflow's `dag_run_conf_overrides_params`), each checked against its schema.
 * Throws one sentence listing every param that is missing or invalid, prefixed by `where`.
 */
export function resolveParams(declared: Record<string, unknown> | undefined, supplied: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, decl] of Object.entries(declared ?? {})) {
    const given = Object.hasOwn(supplied, key);
    if (!isParam(decl)) {
      out[key] = given ? supplied[key] : decl;
      continue;
    }
    if (!given && !decl.hasDefault) {
      problems.push(`param "${key}" has no default and no value was given (pass it in the run's conf)`);
      continue;
    }
    const value = given ? supplied[key] : decl.defaultValue;
    const wrong = paramValueProblem(value, decl.schema);
    if (wrong) problems.push(`param "${key}" is ${JSON.stringify(value)}, which ${wrong}`);
    out[key] = value;
  }
  for (const [key, value] of Object.entries(supplied)) if (!Object.hasOwn(declared ?? {}, key)) out[key] = value;
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  return out;
}

/**
 * Problems of declared params, for DAG validation: unknown schema keywords, defaults that fail
 * their own schema, and required params on a scheduled DAG (Airflow: "DAG Schedule must be None,
 * if there are any required params without default values").
 */
export function paramDeclarationProblems(declared: Record<string, unknown> | undefined, scheduled: boolean): string[] {
  const problems: string[] = [];
  for (const [key, decl] of Object.entries(declared ?? {})) {
    if (!isParam(decl)) continue;
    const unknown = Object.keys(decl.schema).filter((k) => !KNOWN.has(k));
    if (unknown.length > 0) problems.push(`param "${key}" uses schema keyword(s) ${unknown.map((k) => `"${k}"`).join(', ')} that dagbox does not check; use ${[...KNOWN].join(', ')}`);
    const types = decl.schema.type === undefined ? [] : Array.isArray(decl.schema.type) ? decl.schema.type : [decl.schema.type];
    const badType = types.find((t) => !TYPES.has(t));
    if (badType !== undefined) problems.push(`param "${key}" has type "${String(badType)}"; expected one of ${[...TYPES].join(', ')}`);
    if (decl.hasDefault) {
      const wrong = paramValueProblem(decl.defaultValue, decl.schema);
      if (wrong) problems.push(`param "${key}" has default ${JSON.stringify(decl.defaultValue)}, which ${wrong}`);
    } else if (scheduled) {
      problems.push(`param "${key}" has no default, so the DAG cannot run on a schedule (as in Airflow); give it a default or make the schedule null`);
    }
  }
  return problems;
}

/** Why `value` does not satisfy `schema`, as the end of a sentence ("is not an integer"), or null. */
export function paramValueProblem(value: unknown, schema: ParamSchema): string | null {
  const types = schema.type === undefined ? null : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types && !types.some((t) => hasType(value, t))) return `is not of type ${types.join(' or ')}`;
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return `is not one of ${JSON.stringify(schema.enum)}`;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return `is less than the minimum ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `is more than the maximum ${schema.maximum}`;
    if (schema.exclusiveMinimum !== undefined && value <= schema.exclusiveMinimum) return `is not more than ${schema.exclusiveMinimum}`;
    if (schema.exclusiveMaximum !== undefined && value >= schema.exclusiveMaximum) return `is not less than ${schema.exclusiveMaximum}`;
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) return `is shorter than ${schema.minLength} characters`;
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return `is longer than ${schema.maxLength} characters`;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return `does not match the pattern /${schema.pattern}/`;
  }
  return null;
}

function hasType(value: unknown, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
  }
}
