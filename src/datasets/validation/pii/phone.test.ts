import { describe, expect, it } from 'vitest';
import { findPhones } from './phone.js';

const found = (text: string): string[] => findPhones(text).map((s) => text.slice(s.start, s.end));

describe('findPhones', () => {
  it('finds international and national numbers', () => {
    const numbers = [
      '+1 415-555-2671', '(415) 555-2671', '415-555-2671', '415.555.2671', '1-800-555-0199', '+44 20 7946 0958',
      '020 7946 0958', '+49 30 12345678', '030 12345678', '+33 1 23 45 67 89', '01 23 45 67 89', '+91 98765 43210',
      '+81 3-1234-5678', '+4915123456789', '+44 (0)20 7946 0958', '+1 (415) 555-2671',
    ];
    for (const n of numbers) expect(found(`Call ${n} today.`), n).toEqual([n]);
  });

  it('ignores dates, versions, IPs, SSNs, cards, order numbers and short local numbers', () => {
    const negatives = [
      '2024-03-15', '15.03.2024', '03/15/2024', 'version 1.2.3.4', 'v2.10.3', '192.168.1.20', '123-45-6789',
      '4111 1111 1111 1111', 'order 1234567890', '555-1234', 'ISBN 978-3-16-148410-0', '12:30:45', '3.14159',
      '1,234,567', 'between 2019 and 2024', '+1', '012-3456', '123 456 7890', // NANP area codes never start with 0 or 1
      '2024-03-15T10:30:00Z', '1 234 567 habitants', 'ISBN 0-306-40615-2', 'build 10.0.19041.1', 'invoice 2024/12345',
      '48.8566, 2.3522',
    ];
    for (const n of negatives) expect(found(`See ${n} here.`), n).toEqual([]);
  });
});
