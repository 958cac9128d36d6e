// Module resolve hook of the dev loop's worker: a DAG file imported as `x.ts?dagbox-v=N` passes
// `?dagbox-v=N` on to the project files it imports, so each reload gets fresh instances of the
// user's modules, while dagbox itself and node_modules stay loaded once and shared. (tsx's
// tsImport namespaces re-imported all of dagbox and its dependencies on every reload: ~100 ms.)
const dagboxSrc = new URL('../', import.meta.url).href;
const PARAM = 'dagbox-v';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const version = context.parentURL ? new URL(context.parentURL).searchParams.get(PARAM) : null;
  if (!version || !result.url.startsWith('file:') || result.url.includes('/node_modules/') || result.url.startsWith(dagboxSrc)) return result;
  const url = new URL(result.url);
  url.searchParams.set(PARAM, version);
  return { ...result, url: url.href };
}
