/** The kinds of PII the validator and the pii transform know (a module of its own: no schema library). */
export const PII_KINDS = ['email', 'phone', 'card', 'iban', 'ip', 'ssn', 'secret'] as const;
export type PiiKind = (typeof PII_KINDS)[number];
