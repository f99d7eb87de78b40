/**
 * Email addresses: RFC 5322's common "dot-atom" form (the quoted-local-part forms are too rare in
 * text to be worth their false positives).
 */
import { scan, type PiiSpan } from './span.js';

// Local part of dot-separated atoms, a domain of labels, and an alphabetic TLD of 2–24 letters.
const EMAIL = /(?<![\w.%+-])[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![\w-]|\.[A-Za-z0-9])/g;

// Retina asset names ("icon@2x.png") share the shape of an address but end in a file extension.
const FILE_EXTENSIONS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'pdf', 'js', 'ts', 'css', 'html']);

/** Email addresses in a text. */
export function findEmails(text: string): PiiSpan[] {
  if (!text.includes('@')) return [];
  return scan(text, EMAIL, 'email', (m) => !FILE_EXTENSIONS.has(m[1]!.toLowerCase()));
}
