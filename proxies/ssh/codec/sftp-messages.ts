/**
 * Decoders for the SFTP version 3 messages the observer follows
 * (draft-ietf-secsh-filexfer-02, sections 4 to 7, and OpenSSH's PROTOCOL
 * file for its extensions). Every request but INIT, and every reply but
 * VERSION, starts with id:uint32. Messages the observer does not follow
 * decode to `ignored` without their fields being read; trailing bytes after
 * the fields read (ATTRS, extensions) are not inspected.
 */
import { FieldReader, PacketType } from './sftp-wire.js';

/** Operations on a path that get a STATUS reply and no handle. */
export type PathOp = 'remove' | 'mkdir' | 'rmdir' | 'setstat';
/** Operations from one path to another. */
export type TwoPathOp = 'rename' | 'symlink' | 'link';

export type ClientMessage =
  | { kind: 'init'; version: number }
  | { kind: 'open'; id: number; path: Uint8Array; pflags: number }
  | { kind: 'opendir'; id: number; path: Uint8Array }
  | { kind: 'close'; id: number; handle: Uint8Array }
  | { kind: 'read'; id: number; handle: Uint8Array }
  | { kind: 'write'; id: number; handle: Uint8Array; length: number }
  | { kind: 'fsetstat'; id: number; handle: Uint8Array }
  | { kind: 'path'; id: number; op: PathOp; path: Uint8Array }
  | { kind: 'two-paths'; id: number; op: TwoPathOp; path: Uint8Array; newPath: Uint8Array }
  | { kind: 'ignored' };

export type ServerMessage =
  | { kind: 'version'; version: number }
  | { kind: 'status'; id: number; code: number }
  | { kind: 'handle'; id: number; handle: Uint8Array }
  | { kind: 'data'; id: number; length: number }
  | { kind: 'reply'; id: number }
  | { kind: 'ignored' };

type Decoder<T> = (r: FieldReader) => T;

const IGNORED = { kind: 'ignored' } as const;

const pathOp =
  (op: PathOp): Decoder<ClientMessage> =>
  (r) => ({ kind: 'path', id: r.u32('id'), op, path: r.string('path') });

const twoPaths =
  (op: TwoPathOp): Decoder<ClientMessage> =>
  (r) => ({ kind: 'two-paths', id: r.u32('id'), op, path: r.string('old path'), newPath: r.string('new path') });

const CLIENT = new Map<number, Decoder<ClientMessage>>([
  // INIT: version:uint32 | extension-pair*
  [PacketType.Init, (r) => ({ kind: 'init', version: r.u32('version') })],
  // OPEN: id | filename:string | pflags:uint32 | attrs
  [PacketType.Open, (r) => ({ kind: 'open', id: r.u32('id'), path: r.string('filename'), pflags: r.u32('pflags') })],
  // OPENDIR: id | path:string
  [PacketType.Opendir, (r) => ({ kind: 'opendir', id: r.u32('id'), path: r.string('path') })],
  // CLOSE: id | handle:string
  [PacketType.Close, (r) => ({ kind: 'close', id: r.u32('id'), handle: r.handle() })],
  // READ: id | handle:string | offset:uint64 | len:uint32
  [PacketType.Read, decodeRead],
  // WRITE: id | handle:string | offset:uint64 | data:string
  [PacketType.Write, decodeWrite],
  // FSETSTAT: id | handle:string | attrs
  [PacketType.Fsetstat, (r) => ({ kind: 'fsetstat', id: r.u32('id'), handle: r.handle() })],
  // REMOVE: id | filename:string
  [PacketType.Remove, pathOp('remove')],
  // MKDIR: id | path:string | attrs
  [PacketType.Mkdir, pathOp('mkdir')],
  // RMDIR: id | path:string
  [PacketType.Rmdir, pathOp('rmdir')],
  // SETSTAT: id | path:string | attrs
  [PacketType.Setstat, pathOp('setstat')],
  // RENAME: id | oldpath:string | newpath:string
  [PacketType.Rename, twoPaths('rename')],
  // SYMLINK as OpenSSH sends it (the draft's order reversed):
  //   id | targetpath:string | linkpath:string  — symlink(targetpath, linkpath)
  [PacketType.Symlink, twoPaths('symlink')],
  // EXTENDED: id | extended-request:string | request-specific data
  [PacketType.Extended, decodeExtended],
]);

const SERVER = new Map<number, Decoder<ServerMessage>>([
  // VERSION: version:uint32 | extension-pair*
  [PacketType.Version, (r) => ({ kind: 'version', version: r.u32('version') })],
  // STATUS: id | error-code:uint32 | message:string | language:string
  [PacketType.Status, (r) => ({ kind: 'status', id: r.u32('id'), code: r.u32('error code') })],
  // HANDLE: id | handle:string
  [PacketType.Handle, (r) => ({ kind: 'handle', id: r.u32('id'), handle: r.handle() })],
  // DATA: id | data:string
  [PacketType.Data, (r) => ({ kind: 'data', id: r.u32('id'), length: r.string('data').length })],
  // NAME: id | count:uint32 | ...;  ATTRS: id | attrs;  EXTENDED_REPLY: id | ...
  [PacketType.Name, (r) => ({ kind: 'reply', id: r.u32('id') })],
  [PacketType.Attrs, (r) => ({ kind: 'reply', id: r.u32('id') })],
  [PacketType.ExtendedReply, (r) => ({ kind: 'reply', id: r.u32('id') })],
]);

function decodeRead(r: FieldReader): ClientMessage {
  const id = r.u32('id');
  const handle = r.handle();
  r.u64('offset');
  r.u32('length');
  return { kind: 'read', id, handle };
}

function decodeWrite(r: FieldReader): ClientMessage {
  const id = r.u32('id');
  const handle = r.handle();
  r.u64('offset');
  return { kind: 'write', id, handle, length: r.string('data').length };
}

const ascii = new TextDecoder('latin1');

/**
 * OpenSSH extensions that change the file system:
 *   posix-rename@openssh.com  oldpath:string | newpath:string
 *   hardlink@openssh.com      oldpath:string | newpath:string
 *   lsetstat@openssh.com      path:string | attrs
 */
function decodeExtended(r: FieldReader): ClientMessage {
  const id = r.u32('id');
  const name = r.string('extension name');
  if (name.length > 64) return IGNORED;
  switch (ascii.decode(name)) {
    case 'posix-rename@openssh.com':
      return { kind: 'two-paths', id, op: 'rename', path: r.string('old path'), newPath: r.string('new path') };
    case 'hardlink@openssh.com':
      return { kind: 'two-paths', id, op: 'link', path: r.string('old path'), newPath: r.string('new path') };
    case 'lsetstat@openssh.com':
      return { kind: 'path', id, op: 'setstat', path: r.string('path') };
    default:
      return IGNORED;
  }
}

/** `body` starts at the type byte. Throws ProtocolError when a field runs past the packet. */
export function decodeClientMessage(body: Uint8Array): ClientMessage {
  const decode = CLIENT.get(body[0]!);
  return decode ? decode(new FieldReader(body, clientName(body[0]!))) : IGNORED;
}

export function decodeServerMessage(body: Uint8Array): ServerMessage {
  const decode = SERVER.get(body[0]!);
  return decode ? decode(new FieldReader(body, serverName(body[0]!))) : IGNORED;
}

const CLIENT_NAMES: Record<number, string> = {
  1: 'INIT', 3: 'OPEN', 4: 'CLOSE', 5: 'READ', 6: 'WRITE', 9: 'SETSTAT', 10: 'FSETSTAT', 11: 'OPENDIR',
  13: 'REMOVE', 14: 'MKDIR', 15: 'RMDIR', 18: 'RENAME', 20: 'SYMLINK', 200: 'EXTENDED',
};
const SERVER_NAMES: Record<number, string> = {
  2: 'VERSION', 101: 'STATUS', 102: 'HANDLE', 103: 'DATA', 104: 'NAME', 105: 'ATTRS', 201: 'EXTENDED_REPLY',
};

function clientName(type: number): string {
  return CLIENT_NAMES[type] ?? `type ${type}`;
}

function serverName(type: number): string {
  return SERVER_NAMES[type] ?? `type ${type}`;
}
