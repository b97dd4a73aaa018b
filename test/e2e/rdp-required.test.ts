/**
 * recording.required: when the store refuses to start a recording (here the
 * index refuses the gateway's log entry, as a full or broken store would),
 * the RDP session is refused: the client is told and disconnected, the
 * target's connection is closed, and the gateway log says why.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ALICE_PASSWORD, RdpGateway } from '../fixtures/rdp-gateway.js';
import { startClient } from '../fixtures/rdp/xfreerdp.js';

let gw: RdpGateway;
before(async () => {
  gw = await RdpGateway.start({ required: true });
});
after(() => gw.stop());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a required recording that cannot be started refuses the session: the client is disconnected, no session is recorded', async () => {
  const { default: Database } = await import('libsql');
  const index = new Database(join(gw.home.dir, 'data', 'index.db'));
  const before = (await gw.recordings()).length;
  index.prepare("CREATE TRIGGER no_start BEFORE INSERT ON log WHEN NEW.kind = 'start' BEGIN SELECT RAISE(ABORT, 'store refused'); END").run();
  try {
    const client = await startClient({ port: gw.port, user: 'alice+shadow01', password: ALICE_PASSWORD, security: 'tls' });
    const code = await Promise.race([client.exited, sleep(20_000).then(() => 'timeout' as const)]);
    const log = client.log();
    await client.stop();
    assert.notEqual(code, 'timeout', `the client stayed connected:\n${log}\n${gw.log}`);
    assert.notEqual(code, 0);
    assert.match(log, /DENIED|denied/, log);
  } finally {
    index.prepare('DROP TRIGGER no_start').run();
    index.close();
  }
  const recs = await gw.recordings();
  // The store keeps the attempt as a recording that ended at once, with the reason: no session in it.
  assert.ok(recs.slice(before).every((r) => r.endReason === 'recording-failed'), JSON.stringify(recs.slice(before)));
  assert.match(gw.log, /RDP client disconnected before a session opened/);
  assert.doesNotMatch(gw.log, /"msg":"session started"/);
});
