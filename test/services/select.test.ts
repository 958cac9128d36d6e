import { describe, expect, it } from 'vitest';
import { chooseProvider } from '../../src/services/select.ts';
import type { ProviderFacts } from '../../src/services/select.ts';
import { postgresBackend } from '../../src/services/postgres/index.ts';

const noRuntime = { ok: false as const, reason: 'no container runtime is configured' };
const localOk = { ok: true as const, detail: 'initdb+postgres 15' };
const noLocal = { ok: false as const, reason: 'no initdb and postgres found on PATH' };
const facts = (f: Partial<ProviderFacts>): ProviderFacts => ({ runtime: noRuntime, local: noLocal, ...f });

describe('chooseProvider', () => {
  it('auto prefers containers, then a local process, then an external server', () => {
    expect(chooseProvider(postgresBackend, 'auto', facts({ runtime: { ok: true }, local: localOk, externalUri: 'postgres://x@h/db' }))).toEqual({
      ok: true,
      choice: { kind: 'postgres', provider: 'containers', fallbacks: ['local', 'external'], uri: 'postgres://x@h/db' },
    });
    expect(chooseProvider(postgresBackend, 'auto', facts({ local: localOk, externalUri: 'postgres://x@h/db' }))).toMatchObject({ choice: { provider: 'local' } });
    expect(chooseProvider(postgresBackend, 'auto', facts({ externalUri: 'postgres://x@h/db' }))).toMatchObject({
      choice: { provider: 'external', uri: 'postgres://x@h/db' },
    });
  });

  it('auto with no way at all names the three ways and the command or setting for each', () => {
    const result = chooseProvider(postgresBackend, 'auto', facts({}));
    expect(result.ok).toBe(false);
    const problem = result.ok ? '' : result.problem;
    expect(problem).toContain('postgres: none of the three ways to provide it works here');
    expect(problem).toContain('1. containers: no container runtime is configured. Install and start Docker');
    expect(problem).toContain('2. local process: no initdb and postgres found on PATH. Install the server binaries: apt-get install postgresql.');
    expect(problem).toContain('3. external server: no URI is given (DAGBOX_CONN_POSTGRES is not set). Set DAGBOX_CONN_POSTGRES=postgres://');
  });

  it('an explicit provider that cannot serve says why and lists what would work instead', () => {
    const result = chooseProvider(postgresBackend, 'containers', facts({ local: localOk }));
    const problem = result.ok ? '' : result.problem;
    expect(problem).toMatch(/^postgres: the containers provider was requested, but no container runtime is configured\. Install and start Docker/);
    expect(problem).toContain("local process: available here (initdb+postgres 15); use --services local, or providers: { postgres: 'local' }");
    expect(problem).toContain('external server: Set DAGBOX_CONN_POSTGRES=');
  });

  it('an explicit provider that can serve is taken even when auto would pick another', () => {
    expect(chooseProvider(postgresBackend, 'external', facts({ runtime: { ok: true }, local: localOk, externalUri: 'postgres://x@h/db' }))).toMatchObject({
      choice: { provider: 'external' },
    });
  });
});
