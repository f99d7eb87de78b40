import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../platform/errors.js';
import { parseValidationConfig, RULE_IDS } from './config.js';

describe('parseValidationConfig', () => {
  it('fills every default from an empty config', () => {
    const c = parseValidationConfig({});
    expect(RULE_IDS).toContain('dup.near');
    expect(c.maxExamples).toBe(10);
    expect(c.rules['dup.near']).toMatchObject({ enabled: true, threshold: 0.8, shingleWords: 5, numPerm: 128 });
    expect(c.rules['pii.card'].severity).toBe('error');
  });

  it('keeps overrides and fills the rest', () => {
    const c = parseValidationConfig({ rules: { 'dup.near': { threshold: 0.9 }, 'pii.ip': { enabled: false, severity: 'info' } } });
    expect(c.rules['dup.near'].threshold).toBe(0.9);
    expect(c.rules['dup.near'].numPerm).toBe(128);
    expect(c.rules['pii.ip']).toEqual({ enabled: false, severity: 'info' });
  });

  it('refuses unknown rules, bad values and half a banding with the path of the mistake', () => {
    const fail = (input: unknown): ValidationError => {
      try {
        parseValidationConfig(input);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
    expect(fail({ rules: { 'dup.nearr': {} } }).message).toContain('dup.nearr');
    const bad = fail({ rules: { 'pii.email': { severity: 'fatal' } } });
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.code).toBe('invalid_validation_config');
    expect(bad.message).toContain('rules["pii.email"].severity');
    expect(fail({ rules: { 'dup.near': { bands: 4 } } }).message).toContain('bands and rows');
    expect(fail({ rules: { 'dup.near': { bands: 20, rows: 10 } } }).message).toContain('exceeds numPerm');
  });
});
