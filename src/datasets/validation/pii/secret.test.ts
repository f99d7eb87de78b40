import { describe, expect, it } from 'vitest';
import { shannonEntropy } from './entropy.js';
import { findSecrets } from './secret.js';

const found = (text: string): string[] => findSecrets(text).map((s) => text.slice(s.start, s.end));
const jwt = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('findSecrets', () => {
  it('finds AWS key ids and secret keys', () => {
    expect(found('key AKIAIOSFODNN7EXAMPLE here')).toEqual(['AKIAIOSFODNN7EXAMPLE']);
    expect(found('ASIAY34FZKBOKMUTVV7A')).toEqual(['ASIAY34FZKBOKMUTVV7A']);
    expect(found('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toContain('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
  });

  it('finds private key blocks, JWTs and high-entropy tokens after a secret word', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM\n-----END RSA PRIVATE KEY-----';
    expect(found(`dump:\n${pem}\nend`)).toEqual([pem]);
    expect(found(`Authorization: Bearer ${jwt}`)).toContain(jwt);
    expect(found('api_key = "q8Zr2LmX9vKp4TnW7sYb3Hc"')).toEqual(['q8Zr2LmX9vKp4TnW7sYb3Hc']);
    expect(found("DB_PASSWORD: 'Xk29vLq0PzR7mWn4Tb8Y'")).toEqual(['Xk29vLq0PzR7mWn4Tb8Y']);
  });

  it('ignores weak passwords, prose, identifiers, hashes and UUIDs without a secret word, non-JWT dotted tokens', () => {
    const negatives = [
      'password: hunter2',
      'the password reset instructions were sent',
      'password_reset_confirmation_template',
      'The secret ingredient was cinnamon and sugar.',
      'Commit 3f9a2c17e5b04d8a9c1e6f7b2d4a8c0e1f3b5d7a fixed the build.',
      'Request id 550e8400-e29b-41d4-a716-446655440000 was logged.',
      'The password is: secret123 and commit 89fb97da9cf1860ac8f5b4a0d8acd77c94ca6d03 fixed it',
      'eyJub3RoaW5nIjoiaGVyZSJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N', // header has no "alg"
      'token count 123456789012345678901234',
      'AKIAIOSFODNN7EXAMPL', // 19 characters
    ];
    for (const t of negatives) expect(found(t), t).toEqual([]);
  });

  it('measures entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abcd')).toBe(2);
  });
});
