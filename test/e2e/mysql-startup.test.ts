/**
 * What a MySQL client says before its first statement is recorded (its
 * connection attributes and database), and what the gateway's first answer
 * tells about a user name: nothing.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { MyGateway } from '../fixtures/my-gateway.js';

let g: MyGateway;

before(async () => {
  g = await MyGateway.start();
});
after(() => g?.stop());

test('the connection attributes and the database the client asked for are recorded', async () => {
  const before = (await g.recordings()).length;
  const r = await g.mariadb(['-e', 'SELECT 1']);
  assert.equal(r.code, 0, r.stderr);
  const rec = await g.endedRecording(before);
  const files = await g.exportRecording(rec.id);
  const events = files.get(`${rec.id}.events.jsonl`)!.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const startup = events.find((e) => e.type === 'startup');
  assert.ok(startup, 'a startup event');
  assert.equal(startup.database, 'app');
  const attributes = startup.attributes as Record<string, string>;
  assert.match(attributes.program_name ?? '', /^(mysql|mariadb)$/, 'the client names itself');
  assert.ok(attributes._client_name, 'the client library names itself');
});

/**
 * Logs in as `user` with mysql_native_password and a wrong answer, and
 * returns what the gateway does next: 'denied' (an ERR: the method was
 * right, the password wrong) or the method it switches to.
 */
async function firstAnswer(user: string, from = '127.0.0.1'): Promise<string> {
  const socket = connect({ host: '127.0.0.1', port: g.port, localAddress: from });
  socket.on('error', () => undefined);
  const packets: Buffer[] = [];
  let buffered = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUIntLE(0, 3)) {
      const length = buffered.readUIntLE(0, 3);
      packets.push(buffered.subarray(4, 4 + length));
      buffered = buffered.subarray(4 + length);
    }
    wake?.();
  });
  const next = async (): Promise<Buffer> => {
    while (packets.length === 0) await new Promise<void>((r) => (wake = r));
    return packets.shift()!;
  };
  await next(); // the greeting
  // HandshakeResponse41: PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH | LONG_PASSWORD, a 20-byte answer.
  const head = Buffer.alloc(32);
  head.writeUInt32LE(0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x1, 0);
  head.writeUInt32LE(1 << 24, 4);
  head[8] = 45;
  const payload = Buffer.concat([head, Buffer.from(`${user}\0`), Buffer.of(20), Buffer.alloc(20, 7), Buffer.from('mysql_native_password\0')]);
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header[3] = 1;
  socket.write(Buffer.concat([header, payload]));
  const reply = await next();
  socket.destroy();
  if (reply[0] === 0xff) return 'denied';
  assert.equal(reply[0], 0xfe, 'an auth switch');
  return reply.subarray(1, reply.indexOf(0, 1)).toString();
}

test('the first answer does not tell whether a user name exists', async () => {
  // alice has a mysql_native_password hash, bob only an Argon2id password (caching_sha2_password, full authentication).
  assert.equal(await firstAnswer('alice+my01'), 'denied');
  assert.equal(await firstAnswer('bob+my01'), 'caching_sha2_password');
  // Each name from an address of its own, so that the failed-login limit does not answer instead.
  const unknown = await Promise.all(Array.from({ length: 24 }, (_, i) => firstAnswer(`nobody${i}+my01`, `127.0.2.${i + 1}`)));
  assert.deepEqual(new Set(unknown), new Set(['denied', 'caching_sha2_password']), 'unknown names take either path, as real users do');
  const again = await Promise.all(Array.from({ length: 24 }, (_, i) => firstAnswer(`nobody${i}+my01`, `127.0.2.${i + 1}`)));
  assert.deepEqual(again, unknown, 'the same path for the same name each time');
});
