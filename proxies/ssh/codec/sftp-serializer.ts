/**
 * Builds SFTP version 3 packets (draft-ietf-secsh-filexfer-02, with
 * OpenSSH's SYMLINK argument order). Pure functions returning bytes; used by
 * tests and fixtures to speak both sides of a channel.
 *
 *   packet := length:uint32 | type:byte | payload
 *   attrs  := flags:uint32 (no optional fields are written: flags = 0)
 */
import { PacketType } from './sftp-wire.js';

type Field = { u32: number } | { u64: number } | { str: Uint8Array | string } | { raw: Uint8Array };

const encoder = new TextEncoder();

function fieldBytes(f: Field): Uint8Array {
  if ('u32' in f) return u32(f.u32);
  if ('u64' in f) {
    const out = new Uint8Array(8);
    out.set(u32(Math.floor(f.u64 / 0x1_0000_0000)), 0);
    out.set(u32(f.u64 % 0x1_0000_0000), 4);
    return out;
  }
  if ('raw' in f) return f.raw;
  const bytes = typeof f.str === 'string' ? encoder.encode(f.str) : f.str;
  const out = new Uint8Array(4 + bytes.length);
  out.set(u32(bytes.length), 0);
  out.set(bytes, 4);
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}

export function packet(type: number, ...fields: Field[]): Uint8Array {
  const parts = fields.map(fieldBytes);
  const length = 1 + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(4 + length);
  out.set(u32(length), 0);
  out[4] = type;
  let offset = 5;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const NO_ATTRS = { u32: 0 };
type Bytes = Uint8Array | string;

/** Requests, as a client sends them. */
export const request = {
  init: (version = 3) => packet(PacketType.Init, { u32: version }),
  open: (id: number, path: Bytes, pflags: number) => packet(PacketType.Open, { u32: id }, { str: path }, { u32: pflags }, NO_ATTRS),
  close: (id: number, handle: Bytes) => packet(PacketType.Close, { u32: id }, { str: handle }),
  read: (id: number, handle: Bytes, offset: number, len: number) =>
    packet(PacketType.Read, { u32: id }, { str: handle }, { u64: offset }, { u32: len }),
  write: (id: number, handle: Bytes, offset: number, data: Uint8Array) =>
    packet(PacketType.Write, { u32: id }, { str: handle }, { u64: offset }, { str: data }),
  stat: (id: number, path: Bytes) => packet(PacketType.Stat, { u32: id }, { str: path }),
  opendir: (id: number, path: Bytes) => packet(PacketType.Opendir, { u32: id }, { str: path }),
  readdir: (id: number, handle: Bytes) => packet(PacketType.Readdir, { u32: id }, { str: handle }),
  remove: (id: number, path: Bytes) => packet(PacketType.Remove, { u32: id }, { str: path }),
  mkdir: (id: number, path: Bytes) => packet(PacketType.Mkdir, { u32: id }, { str: path }, NO_ATTRS),
  rmdir: (id: number, path: Bytes) => packet(PacketType.Rmdir, { u32: id }, { str: path }),
  setstat: (id: number, path: Bytes) => packet(PacketType.Setstat, { u32: id }, { str: path }, NO_ATTRS),
  fsetstat: (id: number, handle: Bytes) => packet(PacketType.Fsetstat, { u32: id }, { str: handle }, NO_ATTRS),
  rename: (id: number, oldPath: Bytes, newPath: Bytes) => packet(PacketType.Rename, { u32: id }, { str: oldPath }, { str: newPath }),
  /** OpenSSH order: the target first, then the link to create. */
  symlink: (id: number, target: Bytes, link: Bytes) => packet(PacketType.Symlink, { u32: id }, { str: target }, { str: link }),
  extended: (id: number, name: string, ...strings: Bytes[]) =>
    packet(PacketType.Extended, { u32: id }, { str: name }, ...strings.map((s) => ({ str: s }))),
};

/** Replies, as a server sends them. */
export const reply = {
  version: (version = 3) => packet(PacketType.Version, { u32: version }),
  status: (id: number, code: number, message = '') => packet(PacketType.Status, { u32: id }, { u32: code }, { str: message }, { str: '' }),
  handle: (id: number, handle: Bytes) => packet(PacketType.Handle, { u32: id }, { str: handle }),
  data: (id: number, data: Uint8Array) => packet(PacketType.Data, { u32: id }, { str: data }),
  attrs: (id: number) => packet(PacketType.Attrs, { u32: id }, NO_ATTRS),
  /** NAME with each entry as filename, longname (= filename), empty attrs. */
  name: (id: number, names: string[]) =>
    packet(PacketType.Name, { u32: id }, { u32: names.length }, ...names.flatMap((n) => [{ str: n }, { str: n }, NO_ATTRS])),
};
