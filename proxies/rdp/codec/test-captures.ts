/**
 * The real captures under test/fixtures/rdp/captures, for the codec tests.
 * Imported by tests only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../../test/fixtures/gateway-env.js';
import { parseCapture, type CapturedPdu } from '../../../test/fixtures/rdp-capture.js';

export const CAPTURES = ['xfreerdp-xrdp-tls.txt', 'xfreerdp-shadow-tls.txt', 'xfreerdp-xrdp-tls-restricted.txt', 'xfreerdp-shadow-tls-restricted.txt'] as const;

export function capture(name: (typeof CAPTURES)[number]): CapturedPdu[] {
  return parseCapture(readFileSync(join(ROOT, 'test', 'fixtures', 'rdp', 'captures', name), 'utf8'));
}
