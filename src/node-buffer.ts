/**
 * Node's own Buffer encoders and decoders, called without the argument
 * handling of `toString` and `write` in front of them: `utf8Slice`,
 * `latin1Slice` and `utf8Write` on Buffer's prototype (undocumented, on every
 * Node this runs on; the documented calls where one is missing, so that a
 * Node without them is only slower). A database statement decodes and
 * encodes a few short strings where recording is per statement, and
 * `toString`'s encoding lookup and clamping cost about as many instructions
 * as the decoding of a statement's text (`bench/instructions.ts`).
 *
 * Unlike `toString`, the slices do not clamp: `start` and `end` must lie
 * within the buffer, `start <= end` (else they throw a RangeError). Callers
 * pass the bounds of a message they have framed.
 */
type Slice = (this: Buffer, start: number, end: number) => string;
type Write = (this: Buffer, text: string, offset: number) => number;

const proto = Buffer.prototype as unknown as { utf8Slice?: Slice; latin1Slice?: Slice; utf8Write?: Write };
const nodeUtf8Slice = proto.utf8Slice;
const nodeLatin1Slice = proto.latin1Slice;
const nodeUtf8Write = proto.utf8Write;

/** `bytes.toString('utf8', start, end)` for bounds within `bytes`. */
export const utf8Slice: (bytes: Buffer, start: number, end: number) => string = nodeUtf8Slice
  ? (bytes, start, end) => nodeUtf8Slice.call(bytes, start, end)
  : (bytes, start, end) => bytes.toString('utf8', start, end);

/** `bytes.toString('latin1', start, end)` for bounds within `bytes`: one code unit per byte. */
export const latin1Slice: (bytes: Buffer, start: number, end: number) => string = nodeLatin1Slice
  ? (bytes, start, end) => nodeLatin1Slice.call(bytes, start, end)
  : (bytes, start, end) => bytes.toString('latin1', start, end);

/** `buf.write(text, offset)` (UTF-8) for an offset within `buf` that leaves room for the text: the bytes written. */
export const utf8Write: (buf: Buffer, text: string, offset: number) => number = nodeUtf8Write
  ? (buf, text, offset) => nodeUtf8Write.call(buf, text, offset)
  : (buf, text, offset) => buf.write(text, offset);
