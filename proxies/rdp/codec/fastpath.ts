/**
 * Fast-path PDUs in an envelope: input from the client, output from the
 * server, with the output's updates put together across fragments and
 * decoded (bitmap, palette, pointers; surface commands recognised).
 */
import { codecError } from './errors.js';
import { parseFastPathInput, serializeFastPathInput, type FastPathInput } from './input.js';
import { FastPathReassembler, isBulkCompressed, parseFastPathOutput, serializeFastPathOutput, UpdateCode, type FastPathOutput } from './fastpath-output.js';
import { parseBitmapUpdate, parsePalette, parsePointerBody, surfaceCommandTypes, type BitmapRect, type Palette, type Pointer } from './updates.js';

export type FastPathContent =
  | { kind: 'bitmap'; rects: BitmapRect[] }
  | { kind: 'palette'; palette: Palette }
  | { kind: 'pointer'; pointer: Pointer }
  | { kind: 'surface-commands'; types: number[] }
  | { kind: 'other'; code: number; data: Buffer };

export interface FastPathEnvelope {
  input?: FastPathInput;
  output?: FastPathOutput;
  /** Whole updates completed by this PDU, decoded (bulk-compressed ones are not). */
  contents: FastPathContent[];
  labels: string[];
}

export interface FastPathState {
  output: FastPathReassembler | undefined;
}

const POINTER_KIND: Record<number, Pointer['kind']> = {
  [UpdateCode.PTR_NULL]: 'hidden',
  [UpdateCode.PTR_DEFAULT]: 'default',
  [UpdateCode.PTR_POSITION]: 'position',
  [UpdateCode.COLOR]: 'color',
  [UpdateCode.CACHED]: 'cached',
  [UpdateCode.POINTER]: 'new',
  [UpdateCode.LARGE_POINTER]: 'large',
};

export function decodeContent(code: number, data: Buffer): FastPathContent {
  if (code === UpdateCode.BITMAP) return { kind: 'bitmap', rects: parseBitmapUpdate(data) };
  if (code === UpdateCode.PALETTE) return { kind: 'palette', palette: parsePalette(data) };
  if (code === UpdateCode.SURFCMDS) return { kind: 'surface-commands', types: surfaceCommandTypes(data) };
  const pointer = POINTER_KIND[code];
  if (pointer) return { kind: 'pointer', pointer: parsePointerBody(pointer, data) };
  return { kind: 'other', code, data };
}

export function decodeFastPath(dir: 'c2s' | 's2c', bytes: Buffer, state: FastPathState): FastPathEnvelope {
  if (dir === 'c2s') {
    const input = parseFastPathInput(bytes);
    return { input, contents: [], labels: input.events.map((e) => e.event.type) };
  }
  const output = parseFastPathOutput(bytes);
  const contents: FastPathContent[] = [];
  const labels: string[] = [];
  state.output ??= new FastPathReassembler();
  for (const u of output.updates) {
    if (isBulkCompressed(u)) {
      labels.push(`compressed-${u.code}`);
      continue;
    }
    const whole = state.output.push(u);
    if (!whole) {
      labels.push(`fragment-${u.code}`);
      continue;
    }
    const c = decodeContent(whole.code, whole.data);
    contents.push(c);
    labels.push(c.kind === 'pointer' ? `pointer-${c.pointer.kind}` : c.kind === 'other' ? `update-${c.code}` : c.kind);
  }
  return { output, contents, labels };
}

/** Fast-path bytes from the envelope's header-level objects (the fragments as they travel). */
export function encodeFastPath(dir: 'c2s' | 's2c', env: FastPathEnvelope): Buffer {
  if (dir === 'c2s' && env.input) return serializeFastPathInput(env.input);
  if (env.output) return serializeFastPathOutput(env.output);
  throw codecError(['fastpath'], 'a fast-path envelope without its PDU');
}
