import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScreenPlayer } from '../../src/graphics/player.js';
import { BITMAP, CapabilityType, findSet } from './codec/capabilities.js';
import { ConnectionState, decodeEnvelope, type Envelope } from './codec/envelope.js';
import { capture } from './codec/test-captures.js';
import { walkCapture } from './codec/walker.js';
import { PduType2 } from './codec/share.js';
import { parseStruct } from './codec/struct.js';
import { layoutBanner } from './banner.js';
import { clientDesktop } from './refusal-screen.js';
import { desktopSize } from './screen.js';
import { ScreenMessages } from './screen-message.js';
import { demandActive, finalization, GATEWAY_SHARE_ID, licenseValidClient } from './server-activation.js';
import { readBanner } from './test-banner.js';

const IO = 1003;
const USER = 1007;

function decodeAll(pdus: Buffer[]): Envelope[] {
  const state = new ConnectionState();
  state.ioChannel = IO;
  return pdus.map((bytes) => decodeEnvelope('s2c', { kind: 'tpkt', bytes }, state));
}

test('the gateway\'s licensing, Demand Active and finalization decode through the relay\'s codecs as what they are', () => {
  const [license, demand, sync, cooperate, granted, fontMap] = decodeAll([licenseValidClient(IO), demandActive(IO, 1280, 800, 32), ...finalization(IO, USER)]);
  assert.equal(license!.licensing?.name, 'error-alert');
  assert.equal(license!.licensing?.raw.readUInt32LE(4), 7, 'STATUS_VALID_CLIENT');
  assert.equal(demand!.active?.kind, 'demand-active');
  assert.equal(demand!.active?.shareId, GATEWAY_SHARE_ID);
  assert.deepEqual(desktopSize(demand!), { w: 1280, h: 800 });
  const bitmap = parseStruct(findSet(demand!.active!, CapabilityType.BITMAP)!.body, 'bitmap', BITMAP);
  assert.equal(bitmap.fields['preferredBitsPerPixel'], 32);
  assert.deepEqual(demand!.active!.sets.map((s) => s.type), [1, 2, 3, 8, 13, 20, 9, 14]);
  assert.deepEqual([sync, cooperate, granted, fontMap].map((e) => e!.shareData?.pduType2), [PduType2.SYNCHRONIZE, PduType2.CONTROL, PduType2.CONTROL, PduType2.FONTMAP]);
  assert.deepEqual([cooperate, granted].map((e) => e!.data?.kind === 'flat' && e!.data.struct.fields['action']), [4, 2]);
  assert.equal(granted!.data?.kind === 'flat' && granted!.data.struct.fields['grantId'], USER);
});

test('after the gateway\'s own activation a message draws on its desktop at its depth', () => {
  const messages = new ScreenMessages(IO);
  decodeAll([licenseValidClient(IO), demandActive(IO, 800, 600, 16), ...finalization(IO, USER)]).forEach((e) => messages.observe(e));
  assert.equal(messages.depth, 16);
  const drawn = messages.draw('recgate: down01 cannot be reached')!;
  const player = new ScreenPlayer(800, 600);
  for (const r of drawn.records) player.apply(r);
  const layout = layoutBanner('recgate: down01 cannot be reached', 800, 600)!;
  assert.deepEqual(readBanner((x, y) => player.fb.at(x, y).slice(0, 3) as [number, number, number], layout), ['recgate: down01 cannot be reached']);
});

test('the client\'s desktop and depth come from its core data', () => {
  const { envelopes } = walkCapture(capture('xfreerdp-shadow-tls.txt'));
  const initial = envelopes.find((e) => e.mcs?.kind === 'connect-initial')!;
  const d = clientDesktop(initial);
  assert.ok(d, 'a desktop');
  assert.ok(d.width >= 640 && d.height >= 480, JSON.stringify(d));
  assert.ok([15, 16, 24, 32].includes(d.bpp));
  assert.equal(clientDesktop({ dir: 'c2s', kind: 'tpkt', label: 'x' }), null);
});
