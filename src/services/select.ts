import type { Availability, ProviderName, ServiceBackend, ServiceKind } from './types.ts';

/** What is true on this machine for one service, as far as choosing a provider goes. */
export interface ProviderFacts {
  /** Whether a container runtime answers. */
  readonly runtime: { ok: true } | { ok: false; reason: string };
  /** Whether local binaries exist. */
  readonly local: Availability;
  /** URI of a server the user runs, if one was given. */
  readonly externalUri?: string;
}

/** The provider chosen for one service, and why it could serve. */
export interface ProviderChoice {
  readonly kind: ServiceKind;
  readonly provider: ProviderName;
  /** For `external`, or an `external` fallback: the URI to use. */
  readonly uri?: string;
  /** With `auto`: the providers that could serve too, in order, to try if this one fails to start. */
  readonly fallbacks: readonly ProviderName[];
}

/** What a backend contributes to messages about choosing: its name, env var, example URI, install hint. */
export type BackendHints = Pick<ServiceBackend, 'kind' | 'envVar' | 'exampleUri' | 'installHint'>;

/** Thrown when a service cannot be provided the requested way (or, for `auto`, any way). */
export class NoProviderError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n\n'));
    this.name = 'NoProviderError';
  }
}

/**
 * Picks the provider for one service (pure: the facts are passed in). `auto` takes containers if a
 * runtime answers, else a local process if binaries exist, else an external server if a URI is given.
 * Returns the choice, or the sentence explaining why there is none (and the ways to fix it).
 *
 * ```ts
 * choose(postgresBackend, 'auto', { runtime: { ok: false, reason: 'no socket' }, local: { ok: true, detail: 'initdb+postgres 15' } });
 * // { kind: 'postgres', provider: 'local' }
 * ```
 */
export function chooseProvider(
  backend: BackendHints,
  requested: ProviderName | 'auto',
  facts: ProviderFacts,
): { ok: true; choice: ProviderChoice } | { ok: false; problem: string } {
  const { kind } = backend;
  const usable: Record<ProviderName, boolean> = {
    containers: facts.runtime.ok,
    local: facts.local.ok,
    external: Boolean(facts.externalUri),
  };
  const order: ProviderName[] = requested === 'auto' ? ['containers', 'local', 'external'] : [requested];
  const [provider, ...fallbacks] = order.filter((p) => usable[p]);
  if (provider) {
    const uri = usable.external ? { uri: facts.externalUri } : {};
    return { ok: true, choice: { kind, provider, fallbacks, ...uri } };
  }
  return { ok: false, problem: requested === 'auto' ? noWayAtAll(backend, facts) : requestedUnavailable(backend, requested, facts) };
}

function noWayAtAll(backend: BackendHints, facts: ProviderFacts): string {
  return [
    `${backend.kind}: none of the three ways to provide it works here. dagbox tries, in order:`,
    `  1. containers: ${whyNot(backend, 'containers', facts)}. ${remedy(backend, 'containers')}`,
    `  2. local process: ${whyNot(backend, 'local', facts)}. ${remedy(backend, 'local')}`,
    `  3. external server: ${whyNot(backend, 'external', facts)}. ${remedy(backend, 'external')}`,
  ].join('\n');
}

function requestedUnavailable(backend: BackendHints, requested: ProviderName, facts: ProviderFacts): string {
  const others = (['containers', 'local', 'external'] as const).filter((p) => p !== requested);
  return [
    `${backend.kind}: the ${label(requested)} provider was requested, but ${whyNot(backend, requested, facts)}. ${remedy(backend, requested)}`,
    'Or provide it another way:',
    ...others.map((p) => `  - ${label(p)}: ${status(backend, p, facts)}`),
  ].join('\n');
}

function whyNot(backend: BackendHints, provider: ProviderName, facts: ProviderFacts): string {
  if (provider === 'containers') return facts.runtime.ok ? 'a container runtime answers' : facts.runtime.reason;
  if (provider === 'local') return facts.local.ok ? `available (${facts.local.detail})` : facts.local.reason;
  return facts.externalUri ? 'a URI is given' : `no URI is given (${backend.envVar} is not set)`;
}

function remedy(backend: BackendHints, provider: ProviderName): string {
  if (provider === 'containers') return 'Install and start Docker (or Podman), or point DOCKER_HOST at a running engine.';
  if (provider === 'local') return `Install the server binaries: ${backend.installHint}.`;
  return `Set ${backend.envVar}=${backend.exampleUri} to a server you run.`;
}

function status(backend: BackendHints, provider: ProviderName, facts: ProviderFacts): string {
  const flag = `--services ${provider}, or providers: { ${backend.kind}: '${provider}' }`;
  if (provider === 'containers') {
    return facts.runtime.ok ? `a container runtime answers; use ${flag}` : `${facts.runtime.reason}. ${remedy(backend, provider)}`;
  }
  if (provider === 'local') {
    return facts.local.ok ? `available here (${facts.local.detail}); use ${flag}` : `${facts.local.reason}. ${remedy(backend, provider)}`;
  }
  return facts.externalUri ? `${backend.envVar} is set; use ${flag}` : `${remedy(backend, provider)} Then use ${flag}.`;
}

function label(provider: ProviderName): string {
  return provider === 'containers' ? 'containers' : provider === 'local' ? 'local process' : 'external server';
}
