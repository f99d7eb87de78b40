import { describe, expect, it } from 'vitest';
import { findPii, maskPii } from './detectors.js';

describe('maskPii', () => {
  it('replaces every kind with its placeholder and leaves the rest untouched', () => {
    const text = 'Mail jane@example.com or call +1 415-555-2671; card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00, ' +
      'from 10.1.2.3, SSN 123-45-6789, key AKIAIOSFODNN7EXAMPLE. Version 1.2.3.4 on 2024-03-15.';
    expect(maskPii(text)).toBe(
      'Mail [EMAIL] or call [PHONE]; card [CARD], IBAN [IBAN], from [IP], SSN [SSN], key [SECRET]. Version 1.2.3.4 on 2024-03-15.',
    );
  });

  it('masks only the kinds asked for', () => {
    expect(maskPii('jane@example.com 123-45-6789', ['ssn'])).toBe('jane@example.com [SSN]');
    expect(maskPii('nothing here')).toBe('nothing here');
  });

  it('resolves overlaps in favour of the longer span', () => {
    const spans = findPii('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY');
    expect(spans).toHaveLength(1);
  });
});

describe('findPii on adversarial input', () => {
  it('stays near-linear on long runs that resemble the start of a match (no catastrophic backtracking)', () => {
    const inputs = ['a@'.repeat(50_000), '1'.repeat(100_000), '12 '.repeat(35_000), 'ab12:'.repeat(20_000), 'key=' + 'Ab1+'.repeat(25_000), 'DE89 '.repeat(20_000), '-----BEGIN PRIVATE KEY-----'.repeat(3_000)];
    const t0 = performance.now();
    for (const text of inputs) findPii(text);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`adversarial inputs (${inputs.reduce((n, t) => n + t.length, 0)} chars): ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(10); // quadratic behaviour would take minutes
  });
});
