/**
 * `ssh alice@gateway` (no "+target") can never log in: the real OpenSSH client
 * shows the person how to log in instead of a bare "Permission denied".
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { run } from '../fixtures/gateway-env.js';
import { SshGateway } from '../fixtures/ssh-gateway.js';

let g: SshGateway;

before(async () => {
  g = await SshGateway.start();
});
after(() => g?.stop());

const common = (port: number): string[] => ['-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=no'];

test('ssh alice@gateway is told to log in as user+target', async () => {
  // Default client settings (log level INFO), no terminal: OpenSSH prints the instruction on stderr.
  const r = await run('ssh', [...common(g.port), '-i', g.aliceKey, 'alice@127.0.0.1', 'true'], { env: { SSH_ASKPASS: '/bin/false', SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' } });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /recgate: log in as user\+target, for example ssh alice\+web01@gateway/);
  assert.match(r.stderr, /Permission denied/);
});

test('a login with +target is never shown the hint, and still logs in', async () => {
  const r = await run('ssh', [...common(g.port), '-i', g.aliceKey, 'alice+web01@127.0.0.1', 'echo in-$((40+2))']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'in-42\n');
  assert.doesNotMatch(r.stderr, /log in as user\+target/);
});
