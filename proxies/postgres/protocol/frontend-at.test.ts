/** The readers in place give what the decoders give, for any body, wherever it lies in a chunk. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { serialize } from 'pg-protocol';
import { decodeBind, decodeDescribe, decodeExecute, decodeParse, formatCode } from './frontend.js';
import { bindAt, describeAt, executePortalAt, parseAt, type BindAt } from './frontend-at.js';
import { MessageWriter } from './wire.js';

const bodyOf = (message: Buffer): Buffer => message.subarray(5);

/** `body` inside a chunk: other bytes before it, and after it bytes that would complete a body cut short. */
function inChunk(body: Buffer, before: Uint8Array, after: Uint8Array): { bytes: Buffer; start: number; end: number } {
  const bytes = Buffer.concat([before, body, after]);
  return { bytes, start: before.length, end: before.length + body.length };
}

/** What bindAt must give: the decoder's Bind with its text values as text, or undefined. */
function expectedBind(body: Buffer): BindAt | undefined {
  let b;
  try {
    b = decodeBind(body);
  } catch {
    return undefined;
  }
  const params = b.params.map((v, i) => (v === null ? null : formatCode(b.paramFormats, i) === 0 ? v.toString('utf8') : v));
  return { portal: b.portal, statement: b.statement, paramFormats: b.paramFormats, params, resultFormats: b.resultFormats };
}

function decodedOrUndefined<T>(decode: (body: Buffer) => T, body: Buffer): T | undefined {
  try {
    return decode(body);
  } catch {
    return undefined;
  }
}

const name = fc.oneof(fc.constant(''), fc.string({ maxLength: 8 }), fc.string({ minLength: 30, maxLength: 40 })).map((s) => s.replaceAll('\0', ''));
const value = fc.oneof(fc.constant(null), fc.string({ maxLength: 12 }), fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)));
const wellFormedBind = fc
  .tuple(name, name, fc.array(value, { maxLength: 5 }), fc.boolean())
  .map(([portal, statement, values, binary]) => bodyOf(serialize.bind({ portal, statement, values, binary })));
/** Binds as drivers write them with explicit format codes, any number of them, result formats too. */
const formattedBind = fc
  .tuple(name, name, fc.array(fc.constantFrom(0, 0, 1, 2, -1), { maxLength: 4 }), fc.array(value, { maxLength: 4 }), fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 4 }))
  .map(([portal, statement, formats, values, results]) => {
    const w = new MessageWriter('frontend').string(portal, 'portal').string(statement, 'statement').int16(formats.length);
    for (const f of formats) w.int16(f);
    w.int16(values.length);
    for (const v of values) w.nullableBytes(typeof v === 'string' ? Buffer.from(v) : v);
    w.int16(results.length);
    for (const r of results) w.int16(r);
    return bodyOf(w.finish(0x42));
  });

/** A body made wrong: cut short, a byte changed, or bytes added at its end. */
function damaged(bodies: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.oneof(
    bodies,
    fc.tuple(bodies, fc.nat()).map(([b, n]) => b.subarray(0, b.length === 0 ? 0 : n % b.length)),
    fc.tuple(bodies, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([b, at, byte]) => {
      const copy = Buffer.from(b);
      if (copy.length > 0) copy[at % copy.length] = byte;
      return copy;
    }),
    fc.tuple(bodies, fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([b, more]) => Buffer.concat([b, more])),
    fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b)),
  );
}

const around = fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }));

describe('reading the extended protocol where it lies', () => {
  test('a Bind reads as the decoder reads it, text values as text; one it refuses is left to it', () => {
    fc.assert(
      fc.property(damaged(fc.oneof(wellFormedBind, formattedBind)), around, (body, [before, after]) => {
        const { bytes, start, end } = inChunk(body, before, after);
        assert.deepEqual(bindAt(bytes, start, end), expectedBind(body));
      }),
      { numRuns: 2000 },
    );
  });

  test('a Parse reads as the decoder reads it, for any body', () => {
    const parse = fc
      .tuple(name, fc.string({ maxLength: 80 }), fc.array(fc.constantFrom(0, 23, 25, 0xffff_fffe), { maxLength: 4 }))
      .map(([n, text, types]) => bodyOf(serialize.parse({ name: n, text: text.replaceAll('\0', ''), types })));
    fc.assert(
      fc.property(damaged(parse), around, (body, [before, after]) => {
        const { bytes, start, end } = inChunk(body, before, after);
        assert.deepEqual(parseAt(bytes, start, end), decodedOrUndefined(decodeParse, body));
      }),
      { numRuns: 1000 },
    );
  });

  test('an Execute gives its portal as the decoder does, for any body', () => {
    const execute = fc.tuple(name, fc.nat()).map(([portal, rows]) => bodyOf(serialize.execute({ portal, rows })));
    fc.assert(
      fc.property(damaged(execute), around, (body, [before, after]) => {
        const { bytes, start, end } = inChunk(body, before, after);
        assert.equal(executePortalAt(bytes, start, end), decodedOrUndefined(decodeExecute, body)?.portal);
      }),
      { numRuns: 1000 },
    );
  });

  test('a Describe gives its target as the decoder does, for any body', () => {
    const describeBody = fc.tuple(fc.constantFrom('S' as const, 'P' as const), name).map(([type, n]) => bodyOf(serialize.describe({ type, name: n })));
    fc.assert(
      fc.property(damaged(describeBody), around, (body, [before, after]) => {
        const { bytes, start, end } = inChunk(body, before, after);
        assert.deepEqual(describeAt(bytes, start, end), decodedOrUndefined(decodeDescribe, body));
      }),
      { numRuns: 1000 },
    );
  });

  test('a prepared statement run as node-postgres runs it: the unnamed portal, text values, a NULL, text results', () => {
    const body = bodyOf(serialize.bind({ statement: 'P_1', values: ['-2345', '7919', null] }));
    assert.deepEqual(bindAt(body, 0, body.length), { portal: '', statement: 'P_1', paramFormats: [0, 0, 0], params: ['-2345', '7919', null], resultFormats: [0] });
    const execute = bodyOf(serialize.execute());
    assert.equal(executePortalAt(execute, 0, execute.length), '');
    const describe = bodyOf(serialize.describe({ type: 'P' }));
    assert.deepEqual(describeAt(describe, 0, describe.length), { target: 'portal', name: '' });
  });

  test('a binary value comes as its bytes, to be shown by its type; a text one beside it as text', () => {
    const body = bodyOf(serialize.bind({ statement: 's', values: [Buffer.from([0, 0, 0, 42]), 'x'], binary: true }));
    assert.deepEqual(bindAt(body, 0, body.length), { portal: '', statement: 's', paramFormats: [1, 0], params: [Buffer.from([0, 0, 0, 42]), 'x'], resultFormats: [1] });
  });

  test('nothing past the body is taken for part of it: a name whose terminator lies after it is refused', () => {
    const execute = bodyOf(serialize.execute({ portal: 'c1' }));
    // The portal's name without its 0x00 and row limit, the chunk's next bytes supplying both.
    const { bytes, start } = inChunk(execute.subarray(0, 2), Buffer.alloc(0), execute.subarray(2));
    assert.equal(executePortalAt(bytes, start, start + 2), undefined);
    assert.equal(executePortalAt(bytes, start, bytes.length), 'c1');
  });
});
