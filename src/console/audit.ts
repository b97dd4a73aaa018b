/**
 * The console's audit log: who signed in, listed, viewed, fetched chunks of
 * which recording, and every refusal. One JSON line per entry in
 * `<dataDir>/console-audit.jsonl`, each signed with the gateway's Ed25519 key
 * and chained to the one before, as the gateway's recording log is
 * (src/seal/log.ts), under its own signature domain:
 *
 *   prev_0    = base64(BLAKE2b-256("recgate/v1 console-audit genesis"))
 *   prev_n    = base64(BLAKE2b-256(canonicalJson(entry_{n-1})))
 *   signature = Ed25519(sk, "recgate/v1 console-audit" ‖ 0x00 ‖ canonicalJson(entry without signature))
 *
 * Appends are serialized in this process; the file is fsynced after each one.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { concatBytes, fromBase64, toBase64, utf8 } from '../seal/encoding.js';
import { canonicalJson } from '../seal/manifest.js';
import type { SigningKeyPair } from '../seal/signing.js';
import { GENERICHASH_BYTES, SIGN_BYTES } from '../seal/sodium-params.js';
import type { Sodium } from '../seal/sodium.js';

export const AUDIT_DOMAIN = 'recgate/v1 console-audit\0';
export const AUDIT_GENESIS = 'recgate/v1 console-audit genesis';

export type AuditAction = 'sign-in' | 'sign-in-failed' | 'sign-out' | 'list' | 'view' | 'chunks' | 'refused' | 'audit-log' | 'search' | 'download' | 'live-list' | 'watch' | 'message' | 'terminate';

export interface AuditEvent {
  action: AuditAction;
  /** The account (or the name offered, for a failed sign-in). */
  account: string;
  address: string;
  recording?: string;
  /** What was asked (a refused right, list filters), never a secret. */
  detail?: string;
}

export interface AuditEntry extends AuditEvent {
  seq: number;
  prev: string;
  at: string;
  signer: string;
  signature: string;
}

function signedBytes(entry: Omit<AuditEntry, 'signature'> | AuditEntry): Uint8Array {
  const body: Record<string, unknown> = { ...entry };
  delete body.signature;
  return concatBytes(utf8(AUDIT_DOMAIN), utf8(canonicalJson(body)));
}

export function auditGenesis(s: Sodium): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(AUDIT_GENESIS)));
}

export function auditEntryHash(s: Sodium, entry: AuditEntry): string {
  return toBase64(s.generichash(GENERICHASH_BYTES, utf8(canonicalJson(entry))));
}

export function chainAuditEntry(s: Sodium, signer: SigningKeyPair, last: AuditEntry | null, event: AuditEvent, at = new Date()): AuditEntry {
  const unsigned: Omit<AuditEntry, 'signature'> = {
    ...event,
    seq: last === null ? 0 : last.seq + 1,
    prev: last === null ? auditGenesis(s) : auditEntryHash(s, last),
    at: at.toISOString(),
    signer: toBase64(signer.publicKey),
  };
  return { ...unsigned, signature: toBase64(s.signDetached(signedBytes(unsigned), signer.secretKey)) };
}

/** Null when every entry is signed by `publicKey` and chained to the one before; else what is wrong first. */
export function verifyAuditChain(s: Sodium, publicKey: Uint8Array, entries: readonly AuditEntry[]): string | null {
  let prev = auditGenesis(s);
  for (const [i, e] of entries.entries()) {
    if (e.seq !== i) return `entry ${i}: seq is ${e.seq}`;
    if (e.prev !== prev) return `entry ${i}: does not chain to the entry before it`;
    const signature = fromBase64(e.signature);
    if (!signature || signature.length !== SIGN_BYTES || !s.signVerifyDetached(signature, signedBytes(e), publicKey)) {
      return `entry ${i}: bad signature`;
    }
    prev = auditEntryHash(s, e);
  }
  return null;
}

export class ConsoleAudit {
  private last: AuditEntry | null | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly sodium: Sodium,
    private readonly signer: SigningKeyPair,
    readonly file: string,
  ) {}

  /** Appends one signed entry; resolves once it is on disk. */
  append(event: AuditEvent): Promise<AuditEntry> {
    const run = this.queue.then(async () => {
      if (this.last === undefined) this.last = (await this.read()).at(-1) ?? null;
      const entry = chainAuditEntry(this.sodium, this.signer, this.last, event);
      await mkdir(dirname(this.file), { recursive: true });
      const handle = await open(this.file, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      this.last = entry;
      return entry;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async read(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    // A torn last line (a crash mid-append) is left out; the chain check sees the rest.
    return text
      .split('\n')
      .filter((line) => line !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as AuditEntry];
        } catch {
          return [];
        }
      });
  }
}
