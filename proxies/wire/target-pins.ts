/**
 * Target keys the gateway checks before it sends a login: a pinned
 * fingerprint from the config, or trust on first use, which pins the first
 * key seen in a file of the data directory (one per protocol:
 * `ssh-known-targets.json` for SSH host keys, `rdp-known-targets.json` for
 * RDP certificates).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Invalid, text, type Parse } from '../../src/config/fields.js';
import { decodeBase64 } from '../../src/config/formats.js';

/** The value that asks the gateway to remember a target's key on first connection. */
export const TRUST_ON_FIRST_USE = 'trust-on-first-use';

/** OpenSSH's form: `SHA256:` and unpadded base64 of the SHA-256 of the key blob (or certificate). */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** `SHA256:<unpadded base64 of 32 bytes>`, or trust-on-first-use; the problem with anything else. */
export function checkHostKey(pin: string, printedBy: string): string | null {
  if (pin === TRUST_ON_FIRST_USE) return null;
  const match = /^SHA256:([A-Za-z0-9+/]{43})=?$/.exec(pin);
  const digest = match?.[1] === undefined ? null : decodeBase64(`${match[1]}=`);
  return digest?.length === 32 ? null : `expected "SHA256:<base64>" ${printedBy}, or "${TRUST_ON_FIRST_USE}"`;
}

/** The config key `hostKey`: a pin in the form `printedBy` describes, or trust-on-first-use. */
export function hostKeyPin(printedBy: string): Parse<string> {
  return (value) => {
    const pin = text(value).trim();
    const problem = checkHostKey(pin, printedBy);
    if (problem !== null) throw new Invalid(problem);
    return pin === TRUST_ON_FIRST_USE ? pin : pin.replace(/=$/, '');
  };
}

export class TargetPins {
  private readonly path: string;
  private pins: Record<string, string>;

  constructor(dataDir: string, fileName: string) {
    this.path = join(dataDir, fileName);
    try {
      this.pins = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch {
      this.pins = {};
    }
  }

  /** The fingerprint a target must present: the configured pin, else the one learnt, else none yet. */
  expected(target: string, configured: string | null): string | null {
    if (configured && configured !== TRUST_ON_FIRST_USE) return configured;
    return this.pins[target] ?? null;
  }

  async learn(target: string, seen: string): Promise<void> {
    this.pins[target] = seen;
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(this.pins, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.path);
  }
}
