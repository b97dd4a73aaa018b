/**
 * The MySQL proxy against a target that accepts TLS connections only
 * (require_secure_transport), reached with `tls: verify-full` against its
 * CA, and a session limit: an idle session is closed with an ERR packet the
 * client prints when it next speaks, while a statement running longer than
 * the limit is not inactivity.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MyGateway } from '../fixtures/my-gateway.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start({ tls: true, target: ['limits: { idleTimeout: 3s }'] });
});
after(() => g?.stop());

test('the gateway logs in to a TLS-only target with verify-full; the session on the target is encrypted', async () => {
  const r = await g.mariadb(['-e', "SELECT VARIABLE_VALUE <> '' AS encrypted FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'encrypted\n1\n');
});

test('an idle session is closed with a message the client prints, and the recording says why', async () => {
  const before = (await g.recordings()).length;
  const r = await g.mariadb([], { input: 'SELECT 1 AS first;\n\\! sleep 4.5\nSELECT 2 AS second;\n' });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /first\n1\n/);
  assert.match(r.stderr, /recgate: session closed after 3 seconds of inactivity/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'idle-timeout');
});

test('a statement that runs longer than the idle timeout is not inactivity; the session goes on', async () => {
  const before = (await g.recordings()).length;
  const r = await g.mariadb(['-N', '-e', 'SELECT SLEEP(4.5); SELECT 2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '0\n2\n');
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'closed');
});
