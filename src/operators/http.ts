import { join } from 'node:path';
import type { Operator, TaskContext } from '../dag/types.ts';
import { fieldWhere } from './operator-support.ts';
import { explainMiss, findFixture, loadHttpFixtures } from './http-fixtures.ts';

/** A response, as `responseCheck` and `responseFilter` see it. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON. */
  json(): unknown;
}

/** Arguments of {@link http} (Airflow's HttpOperator). */
export interface HttpArgs {
  /** The full URL, templated: `https://api.example.com/v1/orders?date={{ ds }}&key={{ var.value.api_key }}`. */
  url?: string;
  /** Or a connection (conn type http: host, port, schema = protocol) and an endpoint, as Airflow. */
  httpConnId?: string;
  endpoint?: string;
  /** Default GET. */
  method?: string;
  headers?: Record<string, string>;
  /** Request body (recorded fixtures do not match on it). */
  data?: unknown;
  /** Return false to fail the task (Airflow's response_check). */
  responseCheck?: (response: HttpResponse) => boolean;
  /** What to push to XCom (Airflow's response_filter); default the JSON body, or the text. */
  responseFilter?: (response: HttpResponse, ctx: TaskContext) => unknown;
  /** Folder of recorded responses; default `<fixtures>/http` of the session. */
  fixturesDir?: string;
}

/**
 * Airflow's HttpOperator, for API sources, answered from recorded fixtures: dagbox never opens a
 * network connection, so tests and backfills are deterministic. The request is matched by method,
 * URL and query parameters against `fixtures/http/**\/*.json` (see {@link loadHttpFixtures}); a
 * request no fixture answers fails with the URL and the near misses. A status of 400 or more fails
 * the task, as Airflow's default response check does; a fixture with `responses: [...]` answers
 * each try differently, so retries can be tested.
 *
 * ```ts
 * dag.task('extract', http({
 *   url: 'https://api.openweathermap.org/data/2.5/onecall?lat=37.5665&lon=126.978&date={{ ds }}&appid={{ var.value.open_weather_api_key }}',
 * }));
 * ```
 */
export function http(args: HttpArgs): Operator<HttpArgs> {
  return {
    kind: 'http',
    args,
    templateFields: ['url', 'endpoint', 'headers'],
    execute: (ctx, rendered) => runHttp(ctx, rendered),
  };
}

async function runHttp(ctx: TaskContext, args: HttpArgs): Promise<unknown> {
  const method = (args.method ?? 'GET').toUpperCase();
  const url = requestUrl(ctx, args);
  const dir = args.fixturesDir ?? (typeof ctx.fixturesDir === 'string' ? join(ctx.fixturesDir, 'http') : undefined);
  if (!dir) throw new Error(`${fieldWhere(ctx, 'url')}: no fixtures folder to answer ${method} ${url} from; give fixturesDir, or run in a dagbox session (which uses <project>/fixtures/http)`);
  const fixtures = await loadHttpFixtures(dir);
  const fixture = findFixture(fixtures, method, url);
  if (!fixture) {
    const misses = explainMiss(fixtures, method, url);
    throw new Error(
      `no HTTP fixture answers ${method} ${url} (dagbox never calls the network). ` +
        (misses.length ? `Near misses: ${misses.join(' | ')}. ` : `None of the ${fixtures.length} fixture(s) in ${dir} is for this address. `) +
        `Record the response as a JSON file in ${dir}: {"request": {"method": "${method}", "url": "${url.split('?')[0]}", "query": {...}}, "response": {"status": 200, "json": ...}}`,
    );
  }
  const recorded = fixture.responses[Math.min(ctx.tryNumber, fixture.responses.length) - 1]!;
  const response: HttpResponse = {
    status: recorded.status,
    headers: recorded.headers,
    text: recorded.body,
    json: () => JSON.parse(recorded.body) as unknown,
  };
  ctx.log.info(`${method} ${url} -> ${response.status} (fixture ${fixture.file})`);
  if (response.status >= 400) {
    throw new Error(`${method} ${url} answered ${response.status}${response.text ? `: ${response.text.slice(0, 200)}` : ''}`);
  }
  if (args.responseCheck && !args.responseCheck(response)) throw new Error(`${method} ${url}: responseCheck returned false for the ${response.status} response`);
  if (args.responseFilter) return args.responseFilter(response, ctx);
  return recorded.json ? response.json() : response.text;
}

function requestUrl(ctx: TaskContext, args: HttpArgs): string {
  if (args.url) return args.url;
  if (!args.httpConnId) throw new Error(`${fieldWhere(ctx, 'url')}: give url, or httpConnId and endpoint`);
  const c = ctx.connections.get(args.httpConnId);
  const scheme = c.schema ?? (typeof c.extra.schema === 'string' ? c.extra.schema : 'https');
  const host = (c.host ?? '').replace(/^https?:\/\//, '').replace(/\/$/, '');
  const endpoint = (args.endpoint ?? '').replace(/^\//, '');
  return `${scheme}://${host}${c.port ? `:${c.port}` : ''}/${endpoint}`;
}
