import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** A recorded response. */
export interface HttpFixtureResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text (a fixture's `json` is serialised). */
  body: string;
  /** The fixture gave `json`: the body is JSON. */
  json: boolean;
}

/** One request a fixture answers, and its responses (the n-th try gets the n-th; later tries the last). */
export interface HttpFixture {
  file: string;
  method: string;
  /** Origin and path, without the query. */
  url: string;
  /** Expected query parameters; the value `*` accepts any value. */
  query: Record<string, string>;
  responses: HttpFixtureResponse[];
}

interface RawResponse {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

interface RawFixture {
  request?: { method?: string; url?: string; query?: Record<string, unknown> };
  response?: RawResponse;
  responses?: RawResponse[];
}

/**
 * Read every `*.json` under `dir` (recursively) as HTTP fixtures. A file holds one fixture or an
 * array of them:
 *
 * ```json
 * { "request": { "method": "GET", "url": "https://api.example.com/v1/orders", "query": { "date": "2021-02-05", "key": "*" } },
 *   "response": { "status": 200, "json": { "orders": [] } } }
 * ```
 *
 * `response` may instead be `responses: [...]`, one per try (a first try that fails with 503 and a
 * retry that succeeds). A response has `status` (default 200), `headers`, and `json` or `body`.
 */
export async function loadHttpFixtures(dir: string): Promise<HttpFixture[]> {
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
  } catch (error) {
    throw new Error(`expected HTTP fixtures in ${dir}, but it cannot be read (${(error as Error).message}); create it with one JSON file per recorded request`, { cause: error });
  }
  const fixtures: HttpFixture[] = [];
  for (const name of files) {
    const file = join(dir, name);
    let parsed: RawFixture | RawFixture[];
    try {
      parsed = JSON.parse(await readFile(file, 'utf8')) as RawFixture | RawFixture[];
    } catch (error) {
      throw new Error(`${file}: not valid JSON (${(error as Error).message}); an HTTP fixture is {"request": {...}, "response": {...}}`, { cause: error });
    }
    for (const raw of Array.isArray(parsed) ? parsed : [parsed]) fixtures.push(readFixture(raw, relative(dir, file) || name, file));
  }
  return fixtures;
}

function readFixture(raw: RawFixture, name: string, file: string): HttpFixture {
  const url = raw.request?.url;
  if (typeof url !== 'string') throw new Error(`${file}: expected "request": {"url": "https://..."}, found ${JSON.stringify(raw.request)}`);
  const parsed = parseUrl(url, file);
  const query: Record<string, string> = { ...parsed.query };
  for (const [k, v] of Object.entries(raw.request?.query ?? {})) query[k] = String(v);
  const list = raw.responses ?? (raw.response ? [raw.response] : []);
  if (list.length === 0) throw new Error(`${file}: expected "response": {"status": 200, "json": ...} (or "responses": [...]), found none`);
  return {
    file: name,
    method: (raw.request?.method ?? 'GET').toUpperCase(),
    url: parsed.base,
    query,
    responses: list.map((r) => ({
      status: r.status ?? 200,
      headers: r.headers ?? {},
      body: r.json !== undefined ? JSON.stringify(r.json) : (r.body ?? ''),
      json: r.json !== undefined,
    })),
  };
}

/** `https://h/p?a=1` as its base (`https://h/p`) and query. */
export function parseUrl(url: string, where: string): { base: string; query: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch (error) {
    throw new Error(`${where}: ${JSON.stringify(url)} is not a URL; write it in full, e.g. https://api.example.com/v1/items`, { cause: error });
  }
  const query: Record<string, string> = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  return { base: `${u.origin}${u.pathname}`, query };
}

/**
 * The fixture answering `method url`: same method, origin and path, and the same query
 * parameters (each equal, or `*` in the fixture). Null when none does; {@link explainMiss} says why.
 */
export function findFixture(fixtures: readonly HttpFixture[], method: string, url: string): HttpFixture | null {
  const { base, query } = parseUrl(url, 'request');
  return fixtures.find((f) => f.method === method.toUpperCase() && f.url === base && sameQuery(f.query, query)) ?? null;
}

function sameQuery(expected: Record<string, string>, actual: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  for (const k of keys) {
    if (!(k in expected) || !(k in actual)) return false;
    if (expected[k] !== '*' && expected[k] !== actual[k]) return false;
  }
  return true;
}

/** Why the fixtures for the same address did not match: one line per near miss. */
export function explainMiss(fixtures: readonly HttpFixture[], method: string, url: string): string[] {
  const { base, query } = parseUrl(url, 'request');
  return fixtures
    .filter((f) => f.url === base)
    .slice(0, 3)
    .map((f) => {
      if (f.method !== method.toUpperCase()) return `${f.file} answers ${f.method}, not ${method.toUpperCase()}`;
      const diffs: string[] = [];
      for (const k of new Set([...Object.keys(f.query), ...Object.keys(query)])) {
        if (!(k in f.query)) diffs.push(`the request has ${k}, the fixture does not`);
        else if (!(k in query)) diffs.push(`the fixture expects ${k}, the request has none`);
        else if (f.query[k] !== '*' && f.query[k] !== query[k]) diffs.push(`${k} is ${JSON.stringify(query[k])}, the fixture has ${JSON.stringify(f.query[k])}`);
      }
      return `${f.file}: ${diffs.join('; ')}`;
    });
}
