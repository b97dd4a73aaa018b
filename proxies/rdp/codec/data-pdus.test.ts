import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refuses } from '../../wire/test-support.js';
import { decodeDataBody, encodeDataBody } from './data-body.js';
import { parseRefreshRect, parseSuppressOutput, serializeRefreshRect, serializeSuppressOutput } from './data-pdus.js';
import { errorInfoText } from './error-info.js';
import { parseLogonInfo } from './logon-info.js';
import { PduType2, serializeShareControl, type ShareData } from './share.js';
import { num } from './struct.js';

const share = (pduType2: number, data: Buffer): ShareData => ({ shareId: 0x103ea, pad1: 0, streamId: 1, uncompressedLength: data.length + 4, pduType2, compressedType: 0, compressedLength: 0, data });

test('Set Error Info reads as its code, and the code as words', () => {
  const body = decodeDataBody(share(PduType2.SET_ERROR_INFO_PDU, Buffer.from('03000000', 'hex')));
  assert.equal(body.kind, 'flat');
  if (body.kind !== 'flat') return;
  assert.equal(errorInfoText(num(body.struct, 'errorInfo')), 'the session was idle longer than the server allows');
});

test('Control, Synchronize and Font List bodies round-trip', () => {
  for (const [type, hex] of [[PduType2.CONTROL, '0400000000000000'], [PduType2.SYNCHRONIZE, '0100ea03'], [PduType2.FONTLIST, '0000000003003200']] as const) {
    const body = decodeDataBody(share(type, Buffer.from(hex, 'hex')));
    assert.equal(body.kind, 'flat');
    assert.equal(encodeDataBody(type, body).toString('hex'), hex);
  }
});

test('Save Session Info keeps its logon data; a bulk-compressed body is kept whole', () => {
  const logon = Buffer.from('01000000' + 'ab'.repeat(20), 'hex');
  assert.equal(encodeDataBody(PduType2.SAVE_SESSION_INFO, decodeDataBody(share(PduType2.SAVE_SESSION_INFO, logon))).toString('hex'), logon.toString('hex'));
  const packed = decodeDataBody({ ...share(PduType2.UPDATE, Buffer.from('0102', 'hex')), compressedType: 0x21 });
  assert.equal(packed.kind, 'raw');
});

test('Refresh Rect and Suppress Output round-trip; a short one is refused', () => {
  const refresh = { pad: Buffer.alloc(3), areas: [{ left: 0, top: 0, right: 799, bottom: 599 }] };
  assert.deepEqual(parseRefreshRect(serializeRefreshRect(refresh)), refresh);
  const suppress = { allowDisplayUpdates: 1, pad: Buffer.alloc(3), rect: { left: 0, top: 0, right: 799, bottom: 599 } };
  assert.deepEqual(parseSuppressOutput(serializeSuppressOutput(suppress)), suppress);
  refuses(() => parseRefreshRect(Buffer.from('0200000000000000', 'hex')), /needs 2 bytes/);
});

test('a share control PDU too long for its 16-bit length is refused, not wrapped', () => {
  refuses(() => serializeShareControl({ totalLength: 0, pduType: 7, version: 0x10, pduSource: 1002, body: Buffer.alloc(70000) }), /does not fit a field of at most 65535/);
});

test('a logon notification tells who logged on', () => {
  const domain = Buffer.from('CORP\0', 'utf16le');
  const user = Buffer.from('alice\0', 'utf16le');
  const head = Buffer.alloc(4 + 2 + 4 + 4 + 4 + 4);
  head.writeUInt32LE(1, 0);
  head.writeUInt16LE(1, 4);
  head.writeUInt32LE(18, 6);
  head.writeUInt32LE(7, 10);
  head.writeUInt32LE(domain.length, 14);
  head.writeUInt32LE(user.length, 18);
  const v2 = Buffer.concat([head, Buffer.alloc(558), domain, user]);
  assert.deepEqual(parseLogonInfo(v2), { type: 'logon', domain: 'CORP', userName: 'alice', sessionId: 7 });
  const v1 = Buffer.alloc(4 + 4 + 52 + 4 + 512 + 4);
  v1.writeUInt32LE(user.length, 60);
  user.copy(v1, 64);
  v1.writeUInt32LE(3, 576);
  assert.deepEqual(parseLogonInfo(v1), { type: 'logon', domain: '', userName: 'alice', sessionId: 3 });
  refuses(() => parseLogonInfo(Buffer.from('09000000', 'hex')), /unknown infoType 9/);
});
