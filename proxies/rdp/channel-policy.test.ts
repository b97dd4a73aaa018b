import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClipMsg, serializeClipPdu } from './codec/cliprdr.js';
import type { Envelope } from './codec/envelope.js';
import { channelAllowed, ClipboardPolicy } from './channel-policy.js';

const options = (clipboard: 'none' | 'to-target' | 'both', redirect: ('drive' | 'printer')[] = []) => ({ hostKey: null, clipboard, redirect });

test('device redirection is offered only when redirect names a device; the clipboard unless it is none', () => {
  assert.equal(channelAllowed('rdpdr', options('both')), false);
  assert.equal(channelAllowed('RDPDR', options('both', ['drive'])), true);
  assert.equal(channelAllowed('cliprdr', options('none')), false);
  assert.equal(channelAllowed('cliprdr', options('to-target')), true);
  assert.equal(channelAllowed('rdpsnd', options('none')), true);
});

const chunk = (dir: 'c2s' | 's2c', flags: number, data: Buffer, message: Buffer | null = null): Envelope =>
  ({ dir, kind: 'tpkt', label: 'x', channel: { name: 'cliprdr', chunk: { length: data.length, flags, data }, message: message ? { channelId: 1005, flags, data: message } : null } }) as Envelope;

test('to-target: the target\'s format list and data never reach the person, whole messages at a time; the person\'s pass', () => {
  const policy = new ClipboardPolicy('to-target');
  const list = serializeClipPdu({ msgType: ClipMsg.FORMAT_LIST, msgFlags: 0, data: Buffer.alloc(40) });
  assert.equal(policy.passes(chunk('s2c', 1, list.subarray(0, 20))), false);
  assert.equal(policy.passes(chunk('s2c', 0, list.subarray(20, 30))), false, 'a middle chunk of a dropped message');
  assert.equal(policy.passes(chunk('s2c', 2, list.subarray(30))), false);
  const caps = serializeClipPdu({ msgType: ClipMsg.CLIP_CAPS, msgFlags: 0, data: Buffer.alloc(16) });
  assert.equal(policy.passes(chunk('s2c', 3, caps)), true, 'capabilities pass');
  assert.equal(policy.passes(chunk('c2s', 3, list)), true, 'the person may offer their clipboard');
  const both = new ClipboardPolicy('both');
  assert.equal(both.passes(chunk('s2c', 3, list)), true);
});

test('a paste of text is seen once its request and response went by', () => {
  const policy = new ClipboardPolicy('both');
  const request = serializeClipPdu({ msgType: ClipMsg.FORMAT_DATA_REQUEST, msgFlags: 0, data: Buffer.from([13, 0, 0, 0]) });
  const response = serializeClipPdu({ msgType: ClipMsg.FORMAT_DATA_RESPONSE, msgFlags: 1, data: Buffer.from('hi\0', 'utf16le') });
  assert.equal(policy.transfer(chunk('s2c', 3, request, request)), null);
  assert.deepEqual(policy.transfer(chunk('c2s', 3, response, response)), { from: 'client', text: 'hi' });
});
