/**
 * US Social Security numbers in their printed shape ddd-dd-dddd. The SSA never issues area 000,
 * 666 or 900–999, group 00 or serial 0000, so those shapes are not SSNs.
 */
import { scan, type PiiSpan } from './span.js';

const SSN = /(?<![\w-])(\d{3})-(\d{2})-(\d{4})(?![\w]|-\d)/g;

/** True when area, group and serial are in ranges the SSA issues. */
export function isIssuableSsn(area: string, group: string, serial: string): boolean {
  return area !== '000' && area !== '666' && area[0] !== '9' && group !== '00' && serial !== '0000';
}

/** US SSN-shaped numbers (ddd-dd-dddd, issuable ranges only) in a text. */
export function findSsns(text: string): PiiSpan[] {
  if (!text.includes('-')) return [];
  return scan(text, SSN, 'ssn', (m) => isIssuableSsn(m[1]!, m[2]!, m[3]!));
}
