/**
 * The pii.* rules: one finding per kind, counting records that contain at least one instance.
 * Findings carry record ids only, never the values found.
 */
import type { ValidationConfig } from './config.js';
import { PII_KINDS, type PiiKind } from './pii-kinds.js';
import { FindingCollector, records } from './finding-collector.js';
import { findPii, piiDetectors } from './pii/detectors.js';
import type { DatasetRecord, Finding, RecordContext, Rule } from './types.js';

const WHAT: Readonly<Record<PiiKind, string>> = {
  email: 'email addresses',
  phone: 'phone numbers',
  card: 'payment card numbers (Luhn-valid, known issuer prefix)',
  iban: 'IBANs (valid checksum)',
  ip: 'IP addresses',
  ssn: 'US Social Security numbers',
  secret: 'secrets (cloud keys, private keys, JWTs or high-entropy tokens)',
};

/** `pii.email`, `pii.phone`, `pii.card`, `pii.iban`, `pii.ip`, `pii.ssn`, `pii.secret`. */
export function piiRule(config: ValidationConfig): Rule {
  const secret = config.rules['pii.secret'];
  const detectors = piiDetectors({ minEntropy: secret.minEntropy, minTokenLength: secret.minTokenLength });
  const kinds = PII_KINDS.filter((k) => config.rules[`pii.${k}`].enabled).map((kind) => ({
    kind,
    severity: config.rules[`pii.${kind}`].severity,
    hits: new FindingCollector(config.maxExamples),
  }));
  const enabled = kinds.map((k) => k.kind);
  return {
    ids: kinds.map((k) => `pii.${k.kind}`),
    observe(record: DatasetRecord, ctx: RecordContext) {
      if (enabled.length === 0) return;
      // Overlaps resolved first: the digits inside a card are the card's, not also a phone's.
      const spans = findPii(record.text, enabled, detectors, ctx.facts());
      if (spans.length === 0) return;
      const found = new Set(spans.map((s) => s.kind));
      for (const k of kinds) if (found.has(k.kind)) k.hits.add(record.id);
    },
    finish(): Finding[] {
      return kinds.flatMap((k) =>
        k.hits.toFindings(
          `pii.${k.kind}`,
          k.severity,
          (n) => `${records(n)} contain ${WHAT[k.kind]}.`,
          k.kind === 'secret'
            ? 'Rotate the exposed credentials, then drop these records (transform step `pii: {secret: drop}`); masking is not enough for live keys.'
            : `Mask them (transform step \`pii: {${k.kind}: mask}\` writes [${k.kind.toUpperCase()}]) or drop the records.`,
        ),
      );
    },
  };
}
