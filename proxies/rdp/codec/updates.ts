/**
 * Screen and pointer updates, shared by the slow path (Update and Pointer
 * data PDUs) and the fast path (MS-RDPBCGR 2.2.9.1):
 *
 *   TS_UPDATE_BITMAP_DATA (2.2.9.1.1.3.1.2.1)  updateType=1:u16 | numberRectangles:u16 | TS_BITMAP_DATA * n
 *   TS_BITMAP_DATA (2.2.9.1.1.3.1.2.2)  destLeft | destTop | destRight | destBottom | width | height
 *     | bitsPerPixel | flags | bitmapLength (u16 each)
 *     | [TS_CD_HEADER (2.2.9.1.1.3.1.2.3) cbCompFirstRowSize | cbCompMainBodySize | cbScanWidth
 *       | cbUncompressedSize, when flags has BITMAP_COMPRESSION and not NO_BITMAP_COMPRESSION_HDR]
 *     | bitmapDataStream (interleaved RLE, MS-RDPBCGR 2.2.9.1.1.3.1.2.4, or planar, MS-RDPEGDI 2.2.2.5.1)
 *   TS_UPDATE_PALETTE_DATA (2.2.9.1.1.3.1.1)  updateType=2:u16 | pad2 | numberColors:u32 | (r, g, b) * n
 *   pointer updates (2.2.9.1.1.4): position x:u16 | y:u16 · system type:u32 · cached index:u16
 *     · color (2.2.9.1.1.4.4) cacheIndex | hotSpot x, y | width | height | lengthAndMask | lengthXorMask
 *       | xorMaskData | andMaskData [| pad]
 *     · new (2.2.9.1.1.4.5) xorBpp:u16 | color pointer · large (2.2.9.1.1.4.6) xorBpp | cacheIndex
 *       | hotSpot | width | height | lengthAndMask:u32 | lengthXorMask:u32 | masks
 *   surface commands (2.2.9.2): cmdType:u16 — SURFCMD_SURFACE_BITS 1, FRAME_MARKER 4, STREAM_SURFACE_BITS 6
 */
import { Reader, Writer } from './bytes.js';
import { codecError } from './errors.js';

export const BITMAP_COMPRESSION = 0x0001;
export const NO_BITMAP_COMPRESSION_HDR = 0x0400;

export interface BitmapRect {
  destLeft: number;
  destTop: number;
  destRight: number;
  destBottom: number;
  width: number;
  height: number;
  bitsPerPixel: number;
  flags: number;
  /** TS_CD_HEADER when present. */
  compressionHeader: Buffer | null;
  data: Buffer;
}

/** Widest bitmap any peer sends (MS-RDPBCGR limits desktops to 32766 pixels a side). */
const MAX_SIDE = 32766;

export function parseBitmapUpdate(data: Buffer): BitmapRect[] {
  const r = new Reader(data, 'bitmap');
  const type = r.u16le('updateType');
  if (type !== 1) throw codecError(['bitmap'], `updateType ${type}, not UPDATETYPE_BITMAP`);
  const n = r.u16le('numberRectangles');
  const rects: BitmapRect[] = [];
  for (let i = 0; i < n; i++) {
    const rect = {
      destLeft: r.u16le('destLeft'),
      destTop: r.u16le('destTop'),
      destRight: r.u16le('destRight'),
      destBottom: r.u16le('destBottom'),
      width: r.u16le('width'),
      height: r.u16le('height'),
      bitsPerPixel: r.u16le('bitsPerPixel'),
      flags: r.u16le('flags'),
    };
    if (rect.width > MAX_SIDE || rect.height > MAX_SIDE) throw codecError(['bitmap'], `a ${rect.width}x${rect.height} bitmap`);
    const length = r.u16le('bitmapLength');
    const withHeader = (rect.flags & BITMAP_COMPRESSION) !== 0 && (rect.flags & NO_BITMAP_COMPRESSION_HDR) === 0;
    if (withHeader && length < 8) throw codecError(['bitmap'], `bitmapLength ${length} is shorter than its compression header`);
    const compressionHeader = withHeader ? r.bytes(8, 'bitmapComprHdr') : null;
    rects.push({ ...rect, compressionHeader, data: r.bytes(length - (withHeader ? 8 : 0), 'bitmapDataStream') });
  }
  r.end('the bitmap update');
  return rects;
}

export function serializeBitmapUpdate(rects: BitmapRect[]): Buffer {
  const w = new Writer().u16le(1).u16le(rects.length);
  for (const x of rects) {
    w.u16le(x.destLeft).u16le(x.destTop).u16le(x.destRight).u16le(x.destBottom).u16le(x.width).u16le(x.height).u16le(x.bitsPerPixel).u16le(x.flags);
    const header = x.compressionHeader ?? Buffer.alloc(0);
    w.u16le(header.length + x.data.length).bytes(header).bytes(x.data);
  }
  return w.done();
}

export interface Palette {
  pad: number;
  colors: [number, number, number][];
}

export function parsePalette(data: Buffer): Palette {
  const r = new Reader(data, 'palette');
  const type = r.u16le('updateType');
  if (type !== 2) throw codecError(['palette'], `updateType ${type}, not UPDATETYPE_PALETTE`);
  const pad = r.u16le('pad2Octets');
  const n = r.u32le('numberColors');
  if (n > 256) throw codecError(['palette'], `${n} colours, more than 256`);
  const colors: [number, number, number][] = [];
  for (let i = 0; i < n; i++) colors.push([r.u8('red'), r.u8('green'), r.u8('blue')]);
  r.end('the palette');
  return { pad, colors };
}

export function serializePalette(p: Palette): Buffer {
  const w = new Writer().u16le(2).u16le(p.pad).u32le(p.colors.length);
  for (const [red, green, blue] of p.colors) w.u8(red).u8(green).u8(blue);
  return w.done();
}

export interface ColorPointer {
  cacheIndex: number;
  hotX: number;
  hotY: number;
  width: number;
  height: number;
  xorMask: Buffer;
  andMask: Buffer;
  /** Padding or anything after the masks, verbatim. */
  tail: Buffer;
}

export type Pointer =
  | { kind: 'position'; x: number; y: number }
  | { kind: 'system'; systemType: number }
  | { kind: 'cached'; cacheIndex: number }
  | { kind: 'color'; pointer: ColorPointer }
  | { kind: 'new'; xorBpp: number; pointer: ColorPointer }
  | { kind: 'large'; xorBpp: number; pointer: ColorPointer }
  | { kind: 'hidden' | 'default' };

/** A color pointer; `large` reads 32-bit mask lengths (TS_LARGEPOINTERATTRIBUTE). */
export function parseColorPointer(r: Reader, large = false): ColorPointer {
  const cacheIndex = r.u16le('cacheIndex');
  const hotX = r.u16le('hotSpot x');
  const hotY = r.u16le('hotSpot y');
  const width = r.u16le('width');
  const height = r.u16le('height');
  if (width > 384 || height > 384) throw codecError([r.layer], `a ${width}x${height} pointer`);
  const andLength = large ? r.u32le('lengthAndMask') : r.u16le('lengthAndMask');
  const xorLength = large ? r.u32le('lengthXorMask') : r.u16le('lengthXorMask');
  const xorMask = r.bytes(xorLength, 'xorMaskData');
  const andMask = r.bytes(andLength, 'andMaskData');
  return { cacheIndex, hotX, hotY, width, height, xorMask, andMask, tail: r.rest() };
}

export function writeColorPointer(w: Writer, p: ColorPointer, large = false): Writer {
  w.u16le(p.cacheIndex).u16le(p.hotX).u16le(p.hotY).u16le(p.width).u16le(p.height);
  if (large) w.u32le(p.andMask.length).u32le(p.xorMask.length);
  else w.u16le(p.andMask.length).u16le(p.xorMask.length);
  return w.bytes(p.xorMask).bytes(p.andMask).bytes(p.tail);
}

/** Slow-path TS_POINTER_PDU messageType (2.2.9.1.1.4). */
export const PointerMessage = { SYSTEM: 1, POSITION: 3, COLOR: 6, CACHED: 7, NEW: 8, LARGE: 9 } as const;

/** The body of a pointer update given its kind (slow-path messageType and fast-path updateCode differ; see callers). */
export function parsePointerBody(kind: Pointer['kind'], data: Buffer): Pointer {
  const r = new Reader(data, 'pointer');
  let p: Pointer;
  switch (kind) {
    case 'position':
      p = { kind, x: r.u16le('x'), y: r.u16le('y') };
      break;
    case 'system':
      p = { kind, systemType: r.u32le('systemPointerType') };
      break;
    case 'cached':
      p = { kind, cacheIndex: r.u16le('cacheIndex') };
      break;
    case 'color':
      return { kind, pointer: parseColorPointer(r) };
    case 'new':
      return { kind, xorBpp: r.u16le('xorBpp'), pointer: parseColorPointer(r) };
    case 'large':
      return { kind, xorBpp: r.u16le('xorBpp'), pointer: parseColorPointer(r, true) };
    default:
      p = { kind };
  }
  r.end(`the ${kind} pointer`);
  return p;
}

export function serializePointerBody(p: Pointer): Buffer {
  const w = new Writer();
  switch (p.kind) {
    case 'position':
      return w.u16le(p.x).u16le(p.y).done();
    case 'system':
      return w.u32le(p.systemType).done();
    case 'cached':
      return w.u16le(p.cacheIndex).done();
    case 'color':
      return writeColorPointer(w, p.pointer).done();
    case 'new':
      return writeColorPointer(w.u16le(p.xorBpp), p.pointer).done();
    case 'large':
      return writeColorPointer(w.u16le(p.xorBpp), p.pointer, true).done();
    default:
      return w.done();
  }
}

const SLOW_POINTER: Record<number, Pointer['kind']> = { 1: 'system', 3: 'position', 6: 'color', 7: 'cached', 8: 'new', 9: 'large' };

/** A slow-path Pointer data PDU: messageType:u16 | pad2Octets:u16 | body. */
export function parseSlowPointer(data: Buffer): { messageType: number; pad: number; pointer: Pointer } {
  const r = new Reader(data, 'pointer');
  const messageType = r.u16le('messageType');
  const pad = r.u16le('pad2Octets');
  const kind = SLOW_POINTER[messageType];
  if (!kind) throw codecError(['pointer'], `unknown pointer messageType ${messageType}`);
  return { messageType, pad, pointer: parsePointerBody(kind, r.rest()) };
}

export function serializeSlowPointer(p: { messageType: number; pad: number; pointer: Pointer }): Buffer {
  return Buffer.concat([new Writer().u16le(p.messageType).u16le(p.pad).done(), serializePointerBody(p.pointer)]);
}

export const SurfaceCommand = { SURFACE_BITS: 0x1, FRAME_MARKER: 0x4, STREAM_SURFACE_BITS: 0x6 } as const;

/** The command types in a surface commands update, recognised only (their codecs are turned off by restrictCapabilities). */
export function surfaceCommandTypes(data: Buffer): number[] {
  const r = new Reader(data, 'surface-commands');
  const types: number[] = [];
  while (r.remaining > 0) {
    const type = r.u16le('cmdType');
    types.push(type);
    if (type === SurfaceCommand.FRAME_MARKER) {
      // frameAction:u16 | frameId:u32 (2.2.9.2.3)
      r.need(6, 'frame marker');
      r.offset += 6;
    } else if (type === SurfaceCommand.SURFACE_BITS || type === SurfaceCommand.STREAM_SURFACE_BITS) {
      // destLeft, destTop, destRight, destBottom | TS_BITMAP_DATA_EX (2.2.9.2.1.1): bpp:u8 | flags:u8 | reserved:u8
      // | codecID:u8 | width:u16 | height:u16 | bitmapDataLength:u32 | [exBitmapDataHeader: 24 bytes when flags & 1] | data
      r.need(20, 'surface bits');
      const flags = r.buf[r.offset + 9]!;
      const length = r.buf.readUInt32LE(r.offset + 16) + (flags & 0x01 ? 24 : 0);
      r.need(20 + length, 'bitmap data');
      r.offset += 20 + length;
    } else throw codecError(['surface-commands'], `unknown command type ${type}`);
  }
  return types;
}
