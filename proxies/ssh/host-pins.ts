/**
 * Target host keys: a pinned fingerprint from the config, or trust on first
 * use, which pins the first key seen in `<dataDir>/ssh-known-targets.json`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TRUST_ON_FIRST_USE } from './spec.js';

/** OpenSSH's form: `SHA256:` and unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export class HostPins {
  private readonly path: string;
  private pins: Record<string, string>;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'ssh-known-targets.json');
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
