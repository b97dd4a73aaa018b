/**
 * Network Level Authentication with real RDP peers: the gateway's NlaClient
 * signs in to FreeRDP's shadow server (/sec:nla with a SAM file), and the real
 * xfreerdp /sec:nla signs in to the gateway's NlaServer, which hands back what
 * the person typed; through it, xfreerdp reaches the shadow server's desktop.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { NlaError, Status } from '../../src/auth/nla-session.js';
import { ntHashLookup } from '../../src/auth/users.js';
import { generateSelfSignedCertificate } from '../../src/daemon/tls-cert.js';
import { ROOT, run } from '../fixtures/gateway-env.js';
import { nlaConnect, startNlaGateway } from '../fixtures/rdp-nla.js';
import { ntHash, startShadow } from '../fixtures/rdp/shadow.js';
import { startClient } from '../fixtures/rdp/xfreerdp.js';

test('the gateway signs in to FreeRDP\'s shadow server with NLA; a wrong password is refused', async () => {
  const shadow = await startShadow({ security: 'nla' });
  try {
    const { socket } = await nlaConnect({ port: shadow.port, user: shadow.user, password: shadow.password });
    // Past CredSSP the server waits for the MCS Connect Initial: it keeps the connection open.
    const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise((r) => setTimeout(() => r(false), 1500))]);
    assert.equal(closed, false, `the shadow server closed the connection after CredSSP; its log:\n${shadow.log()}`);
    socket.destroy();

    const err = await nlaConnect({ port: shadow.port, user: shadow.user, password: 'not-it' }).catch((e: unknown) => e);
    assert.ok(err instanceof NlaError, `expected an NlaError, got ${String(err)}`);
    assert.match(err.message, /refused the user name or password/);
    assert.equal(err.status, Status.LOGON_FAILURE);
    assert.ok(!err.message.includes('not-it'), 'the password stays out of the message');
  } finally {
    await shadow.stop();
  }
});

test('xfreerdp /sec:nla signs in to the gateway\'s NlaServer, which returns what the person typed and relays to the desktop', async () => {
  const shadow = await startShadow({ security: 'nla' });
  const { certPem, keyPem } = generateSelfSignedCertificate({ commonName: 'recgate' });
  const lookup = ntHashLookup({ users: [{ name: 'alice', password: null, scram: null, mysqlNative: null, rdpNtHash: await ntHash('Gateway-pw-1'), sshKeys: [], targets: ['*'] }] });
  const gateway = await startNlaGateway({ certPem, keyPem, lookup, target: { port: shadow.port, user: shadow.user, password: shadow.password } });
  try {
    const client = await startClient({ port: gateway.port, user: 'alice+win01', password: 'Gateway-pw-1', security: 'nla', extra: ['-gfx'] });
    try {
      const outcome = await gateway.next();
      assert.ok(!(outcome instanceof Error), `NLA failed: ${String(outcome)}\nclient log:\n${client.log()}`);
      assert.deepEqual(outcome.credentials, { domain: '', user: 'alice+win01', password: 'Gateway-pw-1' });
      assert.equal(outcome.identity.user, 'alice+win01');
      // Through the gateway's relay the person sees the target's desktop change.
      await new Promise((r) => setTimeout(r, 1500));
      await shadow.x('xsetroot', ['-solid', '#00ff00']);
      await client.waitForColour(400, 300, [0, 255, 0]);
    } finally {
      await client.stop();
    }

    const wrong = await startClient({ port: gateway.port, user: 'alice+win01', password: 'not-it', security: 'nla' });
    const code = await Promise.race([wrong.exited, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    await wrong.stop();
    const outcome = await gateway.next();
    assert.ok(outcome instanceof NlaError && outcome.status === Status.LOGON_FAILURE, String(outcome));
    assert.match(outcome.message, /wrong password/);
    assert.notEqual(code, 0, 'the client gives up');
    assert.match(wrong.log(), /LOGON_FAILURE/, wrong.log());
  } finally {
    await gateway.stop();
    await shadow.stop();
  }
});

test('users hash --nt prints the NT hash winpr-hash computes', async () => {
  const r = await run(process.execPath, [join(ROOT, 'bin', 'recgate.js'), 'users', 'hash', '--nt'], { input: 'Pa ss\u00e9-1\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${await ntHash('Pa ss\u00e9-1')}\n`);
  assert.ok(!r.stdout.includes('Pa ss'));
});
