/**
 * Follows an `sftp` subsystem channel (SFTP version 3, after
 * draft-ietf-secsh-filexfer-02 as OpenSSH speaks it) and reports what
 * happened to files: one event per file transfer, per directory listed, per
 * change to the file system, each with the error the server answered.
 *
 * Invariants:
 * - nothing here does I/O or keeps timers; bytes in, events out;
 * - the first client packet is INIT, the first server packet is VERSION;
 * - at most MAX_TRACKED handles and MAX_TRACKED requests awaiting a reply
 *   are kept; past that the oldest are dropped (their events are reported
 *   at once) and one `overflow` event says so;
 * - events hold only short strings: paths are cut to MAX_PATH_CHARS, errors
 *   come from the SSH_FX_* table, never from the server's message text.
 */
import type { RecordedEvent } from '../../../src/recording/frames.js';
import { decodeClientMessage, decodeServerMessage, type ClientMessage, type ServerMessage } from './sftp-messages.js';
import { PacketReader, STATUS_EOF, STATUS_OK, sftpError, statusText } from './sftp-wire.js';

export type SftpOp =
  | 'open'
  | 'read'
  | 'write'
  | 'list'
  | 'remove'
  | 'rename'
  | 'mkdir'
  | 'rmdir'
  | 'setstat'
  | 'symlink'
  | 'link'
  | 'overflow';

/**
 * `path` is the file acted on; for rename, symlink and link, `path` is the
 * old path (a symlink's target) and `newPath` the name created. `bytes`
 * counts file data moved through a handle: WRITE data sent, DATA received.
 */
export interface SftpEvent extends RecordedEvent {
  type: 'file';
  op: SftpOp;
  path?: string;
  newPath?: string;
  bytes?: number;
  error?: string;
}

export const MAX_TRACKED = 10_000;
export const MAX_PATH_CHARS = 4096;

interface OpenFile {
  path: string;
  read: number;
  written: number;
  reads: boolean;
  writes: boolean;
  error: string | undefined;
}

type Pending =
  | { kind: 'open'; path: string }
  | { kind: 'list'; path: string }
  | { kind: 'io'; file: OpenFile; read: boolean }
  | { kind: 'close'; key: string; file: OpenFile }
  | { kind: 'op'; event: SftpEvent };

export class SftpObserver {
  private readonly fromClient = new PacketReader();
  private readonly fromServer = new PacketReader();
  /** Open file handles, keyed by the handle's bytes in hex; insertion order is age. */
  private readonly files = new Map<string, OpenFile>();
  /** Requests awaiting their reply, by request id; insertion order is age. */
  private readonly pending = new Map<number, Pending>();
  private clientVersion: number | undefined;
  private serverVersion: number | undefined;
  private overflowReported = false;
  /** Events observed in a call that then threw; `end()` hands them over. */
  private unreported: SftpEvent[] = [];

  /** The version the server answered with, once VERSION was seen. */
  get version(): number | undefined {
    return this.serverVersion;
  }

  /** Bytes the client sent on the channel. Throws ProtocolError on a malformed packet. */
  clientData(chunk: Uint8Array): SftpEvent[] {
    return this.run(this.fromClient, chunk, (body, out) => this.onClient(decodeClientMessage(body), out));
  }

  /** Bytes the server sent on the channel. Throws ProtocolError on a malformed packet. */
  serverData(chunk: Uint8Array): SftpEvent[] {
    return this.run(this.fromServer, chunk, (body, out) => this.onServer(decodeServerMessage(body), out));
  }

  /**
   * The channel closed: reports handles never closed (error `not closed`),
   * requests never answered (error `no reply`), and any events seen before a
   * ProtocolError was thrown.
   */
  end(): SftpEvent[] {
    const out = this.unreported;
    this.unreported = [];
    for (const p of this.pending.values()) out.push(...this.abandon(p, 'no reply'));
    this.pending.clear();
    for (const file of this.files.values()) out.push(...fileEvents(file, 'not closed'));
    this.files.clear();
    return out;
  }

  private run(reader: PacketReader, chunk: Uint8Array, apply: (body: Uint8Array, out: SftpEvent[]) => void): SftpEvent[] {
    const out: SftpEvent[] = [];
    try {
      reader.push(chunk, (body) => apply(body, out));
    } catch (err) {
      this.unreported.push(...out);
      throw err;
    }
    return out;
  }

  private onClient(m: ClientMessage, out: SftpEvent[]): void {
    if (m.kind === 'init') {
      if (this.clientVersion !== undefined) throw sftpError('client sent INIT twice');
      this.clientVersion = m.version;
      return;
    }
    if (this.clientVersion === undefined) throw sftpError('client sent a request before INIT');
    switch (m.kind) {
      case 'open':
        return this.expect(m.id, { kind: 'open', path: pathText(m.path) }, out);
      case 'opendir':
        return this.expect(m.id, { kind: 'list', path: pathText(m.path) }, out);
      case 'close':
        return this.onClose(m.id, m.handle, out);
      case 'read':
      case 'write':
        return this.onTransfer(m, out);
      case 'fsetstat': {
        const path = this.files.get(handleKey(m.handle))?.path ?? '';
        return this.expect(m.id, { kind: 'op', event: { type: 'file', op: 'setstat', path } }, out);
      }
      case 'path':
        return this.expect(m.id, { kind: 'op', event: { type: 'file', op: m.op, path: pathText(m.path) } }, out);
      case 'two-paths': {
        const event: SftpEvent = { type: 'file', op: m.op, path: pathText(m.path), newPath: pathText(m.newPath) };
        return this.expect(m.id, { kind: 'op', event }, out);
      }
      case 'ignored':
        return;
    }
  }

  private onClose(id: number, handle: Uint8Array, out: SftpEvent[]): void {
    const key = handleKey(handle);
    const file = this.files.get(key);
    if (file) this.expect(id, { kind: 'close', key, file }, out);
  }

  private onTransfer(m: ClientMessage & { kind: 'read' | 'write' }, out: SftpEvent[]): void {
    const file = this.files.get(handleKey(m.handle));
    if (!file) return;
    if (m.kind === 'read') {
      file.reads = true;
    } else {
      file.writes = true;
      file.written += m.length;
    }
    this.expect(m.id, { kind: 'io', file, read: m.kind === 'read' }, out);
  }

  private onServer(m: ServerMessage, out: SftpEvent[]): void {
    if (m.kind === 'version') {
      if (this.serverVersion !== undefined) throw sftpError('server sent VERSION twice');
      this.serverVersion = m.version;
      return;
    }
    if (this.serverVersion === undefined) throw sftpError('server sent a reply before VERSION');
    if (m.kind === 'ignored') return;
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    this.onReply(p, m, out);
  }

  private onReply(p: Pending, m: Exclude<ServerMessage, { kind: 'version' | 'ignored' }>, out: SftpEvent[]): void {
    const error = m.kind === 'status' && m.code !== STATUS_OK ? statusText(m.code) : undefined;
    switch (p.kind) {
      case 'open':
        if (m.kind === 'handle') this.opened(m.handle, p.path, out);
        else out.push(withError({ type: 'file', op: 'open', path: p.path }, error ?? 'no handle'));
        return;
      case 'list':
        out.push(withError({ type: 'file', op: 'list', path: p.path }, m.kind === 'handle' ? undefined : (error ?? 'no handle')));
        return;
      case 'io':
        if (m.kind === 'data' && p.read) p.file.read += m.length;
        if (m.kind === 'status' && m.code !== STATUS_EOF && error !== undefined) p.file.error ??= error;
        return;
      case 'close':
        if (this.files.get(p.key) === p.file) this.files.delete(p.key);
        out.push(...fileEvents(p.file, error));
        return;
      case 'op':
        out.push(withError(p.event, error));
        return;
    }
  }

  private opened(handle: Uint8Array, path: string, out: SftpEvent[]): void {
    const key = handleKey(handle);
    const previous = this.files.get(key);
    if (previous) {
      this.files.delete(key);
      out.push(...fileEvents(previous, 'handle reused'));
    }
    this.files.set(key, { path, read: 0, written: 0, reads: false, writes: false, error: undefined });
    if (this.files.size > MAX_TRACKED) {
      const [oldKey, oldest] = this.files.entries().next().value as [string, OpenFile];
      this.files.delete(oldKey);
      out.push(...fileEvents(oldest, 'untracked'));
      this.overflow(out);
    }
  }

  private expect(id: number, p: Pending, out: SftpEvent[]): void {
    this.pending.delete(id);
    this.pending.set(id, p);
    if (this.pending.size > MAX_TRACKED) {
      const [oldId, oldest] = this.pending.entries().next().value as [number, Pending];
      this.pending.delete(oldId);
      out.push(...this.abandon(oldest, 'untracked'));
      this.overflow(out);
    }
  }

  /** What a request that will never be matched with its reply still has to report. */
  private abandon(p: Pending, reason: string): SftpEvent[] {
    switch (p.kind) {
      case 'open':
        return [{ type: 'file', op: 'open', path: p.path, error: reason }];
      case 'list':
        return [{ type: 'file', op: 'list', path: p.path, error: reason }];
      case 'io':
        return [];
      case 'close':
        if (this.files.get(p.key) === p.file) this.files.delete(p.key);
        return fileEvents(p.file, undefined);
      case 'op':
        return [withError(p.event, reason)];
    }
  }

  private overflow(out: SftpEvent[]): void {
    if (this.overflowReported) return;
    this.overflowReported = true;
    out.push({ type: 'file', op: 'overflow' });
  }
}

/** One event per direction the file was used in; `open` when it was neither read nor written. */
function fileEvents(file: OpenFile, closeError: string | undefined): SftpEvent[] {
  const error = file.error ?? closeError;
  const events: SftpEvent[] = [];
  if (file.reads) events.push(withError({ type: 'file', op: 'read', path: file.path, bytes: file.read }, error));
  if (file.writes) events.push(withError({ type: 'file', op: 'write', path: file.path, bytes: file.written }, error));
  if (events.length === 0) events.push(withError({ type: 'file', op: 'open', path: file.path, bytes: 0 }, error));
  return events;
}

function withError(event: SftpEvent, error: string | undefined): SftpEvent {
  return error === undefined ? event : { ...event, error };
}

const hex = (b: number): string => (b < 16 ? '0' : '') + b.toString(16);

function handleKey(handle: Uint8Array): string {
  let key = '';
  for (const b of handle) key += hex(b);
  return key;
}

const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** A path as text, cut to MAX_PATH_CHARS UTF-16 units without splitting a surrogate pair. */
export function pathText(bytes: Uint8Array): string {
  let text = utf8.decode(bytes.subarray(0, MAX_PATH_CHARS * 4));
  if (text.length > MAX_PATH_CHARS) {
    const cut = text.charCodeAt(MAX_PATH_CHARS - 1);
    text = text.slice(0, cut >= 0xd800 && cut <= 0xdbff ? MAX_PATH_CHARS - 1 : MAX_PATH_CHARS);
  }
  return text;
}
