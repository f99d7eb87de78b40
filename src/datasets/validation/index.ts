/** Dataset validation: streaming rules that produce the findings of the dataset report. */
export { Validator, validateRecords, sortFindings, type RunOptions, type ValidationProgress, type ValidationResult, type ValidatorOptions } from './validator.js';
export { parseValidationConfig, validationConfigSchema, PII_KINDS, RULE_IDS, type PiiKind, type RuleId, type ValidationConfig, type ValidationConfigInput } from './config.js';
export type { DatasetRecord, Finding, RecordId, Severity } from './types.js';
export { findPii, maskPii, piiDetectors, type PiiDetector } from './pii/detectors.js';
export type { PiiSpan } from './pii/span.js';
export { findEmails } from './pii/email.js';
export { findPhones } from './pii/phone.js';
export { findCards, isCardNumber } from './pii/card.js';
export { findIbans, isValidIban } from './pii/iban.js';
export { findIps, isIpv4, isIpv6 } from './pii/ip.js';
export { findSsns } from './pii/ssn.js';
export { findSecrets } from './pii/secret.js';
export { luhnValid } from './pii/luhn.js';
export { hasControlChars, hasMojibake, hasReplacementChar } from './encoding.js';
export { normalizeText } from './normalize.js';
export { NearDuplicateIndex, nearDuplicateOptions } from './dup-near.js';
export { textHash64 } from './dup-exact.js';
export { chooseBanding, candidateProbability } from './lsh.js';
