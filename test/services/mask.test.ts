import { describe, expect, it } from 'vitest';
import { maskUri, redact } from '../../src/services/mask.ts';

describe('maskUri', () => {
  it('replaces the password and secret-looking parameters with ***', () => {
    expect(maskUri('postgres://etl:s3cret@127.0.0.1:5432/dev')).toBe('postgres://etl:***@127.0.0.1:5432/dev');
    expect(maskUri('mysql://root@127.0.0.1:3306/test')).toBe('mysql://root@127.0.0.1:3306/test');
    expect(maskUri('http://K:S@h:9000/?aws_secret_access_key=S')).toBe('http://K:***@h:9000/?aws_secret_access_key=***');
  });

  it('masks URIs that do not parse as URLs too', () => {
    expect(maskUri('aws://KEY:SECRET@/?endpoint_url=x')).toBe('aws://KEY:***@/?endpoint_url=x');
  });
});

describe('redact', () => {
  it('removes each secret, plain and URL-encoded, from server messages', () => {
    expect(redact('auth failed for p@ss/w and p%40ss%2Fw', ['p@ss/w'])).toBe('auth failed for *** and ***');
  });
});
