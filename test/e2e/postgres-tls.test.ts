/**
 * The PostgreSQL proxy against a target that accepts TLS connections only
 * (hostssl in pg_hba.conf), verified with `tls: verify-full` against the
 * target's CA, and a session limit: an idle session is warned, then closed
 * with a FATAL message psql prints.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PgGateway } from '../fixtures/pg-gateway.js';

let g: PgGateway;

before(async () => {
  g = await PgGateway.start({
    postgres: { tls: true },
    target: ['limits: { idleTimeout: 3s }'],
    extraTargets: [
      // The system's CAs do not know the test CA.
      { name: 'unknownca01', lines: ['tls: verify-full'] },
      { name: 'plain01', lines: ['tls: disable'] },
    ],
  });
});
after(() => g?.stop());

test('the gateway logs in to a TLS-only target with verify-full; the session on the target is encrypted', async () => {
  const r = await g.psql(['-At', '-c', 'SELECT ssl, current_user FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE pid = pg_backend_pid()']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 't|app');
});

test('an idle session is warned, then closed with a message psql prints, and the recording says why', async () => {
  const before = (await g.recordings()).length;
  const r = await g.psql(['-c', 'SELECT 1', '-c', '\\! sleep 4.5', '-c', 'SELECT 2']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /WARNING: {2}recgate: this session will be closed in \d+ seconds? for inactivity\n/);
  assert.match(r.stderr, /FATAL: {2}recgate: session closed after 3 seconds of inactivity\n/);
  const rec = await g.endedRecording(before);
  assert.equal(rec.endReason, 'idle-timeout');
  const events = await g.events(rec.id);
  assert.ok(events.some((e) => e['type'] === 'warning' && e['reason'] === 'idle-timeout'));
  assert.ok(events.some((e) => e['type'] === 'query' && e['text'] === 'SELECT 1'));
});

test('a wrong target password over TLS is refused with a clear message', async () => {
  const r = await g.psql(['-c', 'SELECT 1'], { login: 'alice+badpw01' });
  assert.match(r.stderr, /FATAL: {2}recgate: badpw01 refused the gateway's login/);
});

test('verify-full refuses a target whose certificate no trusted CA signed; a TLS-only target refuses plain TCP', async () => {
  const unknown = await g.psql(['-c', 'SELECT 1'], { login: 'alice+unknownca01' });
  assert.match(unknown.stderr, /FATAL: {2}recgate: TLS to unknownca01 failed: .*certificate/);
  const plain = await g.psql(['-c', 'SELECT 1'], { login: 'alice+plain01' });
  assert.match(plain.stderr, /FATAL: {2}recgate: plain01 refused the gateway's login: no pg_hba\.conf entry for host "127\.0\.0\.1", user "app", database "app", no encryption\n/);
});
