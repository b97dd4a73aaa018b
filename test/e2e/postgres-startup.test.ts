/**
 * What a PostgreSQL client says before its first statement: startup
 * parameters are recorded, and `options` (any setting, `-c role=...`
 * included) reaches only targets that allow it. And what the first answer
 * tells about a user name: nothing.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { ALICE_PASSWORD, PgGateway } from '../fixtures/pg-gateway.js';

let g: PgGateway;

before(async () => {
  g = await PgGateway.start({ extraTargets: [{ name: 'opts01', lines: ['tls: disable', 'startupOptions: true'] }] });
});
after(() => g?.stop());

test('startup options are refused where the target does not allow them, with nothing recorded', async () => {
  const before = (await g.recordings()).length;
  const r = await g.psql(['-c', 'SHOW search_path'], { env: { PGOPTIONS: '-c role=app -c search_path=elsewhere' } });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /FATAL: {2}recgate: pg01 does not accept the startup parameter "options" through the gateway/);
  assert.match(r.stderr, /HINT: {2}Set them with SET after connecting/);
  assert.equal((await g.recordings()).length, before);
});

test('where the target allows them, they take effect and every startup parameter is recorded', async () => {
  const before = (await g.recordings()).length;
  const r = await g.psql(['-At', '-c', 'SHOW search_path'], { login: 'alice+opts01', env: { PGOPTIONS: '-c search_path=elsewhere', PGAPPNAME: 'audit-me' } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'elsewhere\n');
  const rec = await g.endedRecording(before);
  const startup = (await g.events(rec.id)).find((e) => e.type === 'startup');
  assert.ok(startup, 'a startup event');
  const parameters = startup.parameters as Record<string, string>;
  assert.equal(parameters.options, '-c search_path=elsewhere');
  assert.equal(parameters.application_name, 'audit-me');
  assert.equal(parameters.user, 'alice+opts01');
});

/** The first authentication request the gateway makes of `user`: 3 cleartext password, 10 SASL. */
async function firstRequest(user: string, tls: boolean, from = '127.0.0.1'): Promise<number> {
  let socket: Socket = connect({ host: '127.0.0.1', port: g.port, localAddress: from });
  socket.on('error', () => undefined);
  await new Promise((r) => socket.once('connect', r));
  if (tls) {
    socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    const answer = await new Promise<Buffer>((r) => socket.once('data', r));
    assert.equal(answer.toString(), 'S');
    const secure = tlsConnect({ socket, rejectUnauthorized: false });
    secure.on('error', () => undefined);
    await new Promise((r) => secure.once('secureConnect', r));
    socket = secure as unknown as Socket;
  }
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from(`user\0${user}\0database\0app\0\0`)]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  socket.write(Buffer.concat([length, body]));
  const reply = await new Promise<Buffer>((r) => socket.once('data', r));
  socket.destroy();
  assert.equal(String.fromCharCode(reply[0]!), 'R', `an authentication request for ${user}`);
  return reply.readUInt32BE(5);
}

test('the first answer does not tell whether a user name exists', async () => {
  // alice has a SCRAM verifier, bob only an Argon2id password (asked for in clear, inside TLS only).
  assert.equal(await firstRequest('alice+pg01', true), 10);
  assert.equal(await firstRequest('bob+pg01', true), 3);
  // Each name from an address of its own, so that the failed-login limit does not answer instead.
  const from = (i: number): string => `127.0.3.${i + 1}`;
  const unknown = await Promise.all(Array.from({ length: 24 }, (_, i) => firstRequest(`nobody${i}+pg01`, true, from(i))));
  assert.deepEqual(new Set(unknown), new Set([3, 10]), 'unknown names get the one or the other, as real users do');
  const again = await Promise.all(Array.from({ length: 24 }, (_, i) => firstRequest(`nobody${i}+pg01`, true, from(i))));
  assert.deepEqual(again, unknown, 'the same answer for the same name each time');
  // Outside TLS every user is asked for SCRAM (bob then fails): so is every unknown name.
  assert.equal(await firstRequest('bob+pg01', false), 10);
  for (let i = 0; i < 8; i++) assert.equal(await firstRequest(`nobody${i}+pg01`, false, from(i)), 10);
  const r = await g.psql(['-c', 'SELECT 1'], { login: 'nobody3+pg01', password: ALICE_PASSWORD, conninfo: { sslmode: 'require' } });
  assert.match(r.stderr, /password authentication failed for user "nobody3\+pg01"/);
});
