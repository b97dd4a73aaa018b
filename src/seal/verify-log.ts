/**
 * Verification of the gateway's log (see log.ts) without any private key.
 *
 * The walk checks, entry by entry in stored order: the shape; seq runs 0, 1,
 * 2, ... without gaps; `prev` is the hash of the entry before it (the genesis
 * hash for the first); the signer is trusted and the signature good. Every
 * problem is an error naming the seq. Only well-formed entries with a good
 * signature from a trusted signer are kept for the cross-checks against the
 * store (verify-log-store.ts).
 *
 * What the walk cannot see alone is a log cut at its tail: the last entries
 * removed leave a shorter chain that is still whole. A head the auditor noted
 * earlier (`seq:hash`) closes that gap: the chain must contain exactly it.
 */
import { bytesEqual, fromBase64 } from './encoding.js';
import type { Finding } from './findings.js';
import { logEntryHash, logEntryShapeError, logGenesis, verifyLogEntry, type LogEntry } from './log.js';
import type { Sodium } from './sodium.js';

/** The pseudo recording id that log findings carry. */
export const LOG_FINDING = 'log';

export interface LogHead {
  seq: number;
  hash: string;
}

export interface LogWalk {
  /** Problems with the chain itself (errors, each naming a seq). */
  findings: Finding[];
  /** Entries read. */
  count: number;
  /** The last entry read and its hash; null for an empty log. */
  head: LogHead | null;
  /** Trusted entries by recording id, in log order. */
  recordings: Map<string, LogEntry[]>;
}

/** `SEQ:HASH` as `recordings verify --all` prints and takes it. */
export function formatLogHead(head: LogHead | null): string {
  return head === null ? 'none' : `${head.seq}:${head.hash}`;
}

export function parseLogHead(text: string): LogHead | null {
  const match = /^(\d+):([A-Za-z0-9+/]{43}=)$/.exec(text.trim());
  if (!match) return null;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? { seq, hash: match[2]! } : null;
}

export class LogWalker {
  private readonly walk: LogWalk = { findings: [], count: 0, head: null, recordings: new Map() };
  private expectedSeq = 0;
  private prevHash: string;
  private pinned: { want: LogHead; seen: string | null } | undefined;

  constructor(
    private readonly s: Sodium,
    private readonly trusted: readonly Uint8Array[],
    expectedHead?: LogHead,
  ) {
    this.prevHash = logGenesis(s);
    if (expectedHead) this.pinned = { want: expectedHead, seen: null };
  }

  /** The next entry as stored (anything: the store may hold damage). */
  push(entry: unknown): void {
    const index = this.walk.count++;
    const shape = logEntryShapeError(entry);
    if (shape) {
      this.error(`entry #${index} is malformed: ${shape}`);
      this.prevHash = typeof entry === 'object' && entry !== null ? logEntryHash(this.s, entry as LogEntry) : '';
      this.expectedSeq++;
      return;
    }
    const e = entry as LogEntry;
    const hash = logEntryHash(this.s, e);
    if (e.seq !== this.expectedSeq) {
      this.error(`seq ${e.seq} found where seq ${this.expectedSeq} was expected (entries missing or out of order)`);
    } else if (e.prev !== this.prevHash) {
      const before = e.seq === 0 ? 'the genesis hash' : `the hash of seq ${e.seq - 1}`;
      this.error(`seq ${e.seq}: prev is not ${before} (an entry altered, removed or reordered)`);
    }
    this.expectedSeq = e.seq + 1;
    this.prevHash = hash;
    this.walk.head = { seq: e.seq, hash };
    if (this.pinned?.want.seq === e.seq) this.pinned.seen = hash;
    if (this.checkSignature(e)) this.keep(e);
  }

  finish(): LogWalk {
    const pin = this.pinned;
    if (pin) {
      const want = formatLogHead(pin.want);
      if (pin.seen === null) this.error(`no entry seq ${pin.want.seq}, the expected head ${want} (the log was cut short)`);
      else if (pin.seen !== pin.want.hash) this.error(`seq ${pin.want.seq} is not the expected head ${want} (the log was rewritten)`);
    }
    return this.walk;
  }

  private checkSignature(e: LogEntry): boolean {
    const signer = fromBase64(e.signer);
    const key = signer && this.trusted.find((k) => bytesEqual(k, signer));
    if (!key) {
      this.error(`seq ${e.seq}: signed by ${e.signer}, which is not a trusted signer`);
      return false;
    }
    if (!verifyLogEntry(this.s, key, e)) {
      this.error(`seq ${e.seq}: bad signature`);
      return false;
    }
    return true;
  }

  private keep(e: LogEntry): void {
    const list = this.walk.recordings.get(e.recording);
    if (list) list.push(e);
    else this.walk.recordings.set(e.recording, [e]);
  }

  private error(text: string): void {
    this.walk.findings.push({ recording: LOG_FINDING, severity: 'error', message: `log: ${text}` });
  }
}

/** Walks a whole log held in memory (tests, small logs). */
export function walkLog(s: Sodium, entries: Iterable<unknown>, trusted: readonly Uint8Array[], expectedHead?: LogHead): LogWalk {
  const walker = new LogWalker(s, trusted, expectedHead);
  for (const e of entries) walker.push(e);
  return walker.finish();
}
