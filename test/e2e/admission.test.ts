/**
 * Floods against a running gateway (`recgate start`, SSH and PostgreSQL
 * listeners, a real sshd behind): connections that never log in are closed
 * at their deadline, the caps before login hold and cost only the flooding
 * address, and a burst of wrong passwords over both protocols gets at most
 * the failed-login limit checked. Loopback addresses other than 127.0.0.1
 * stand for other clients.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { connect, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import ssh2 from 'ssh2';
import { CLI, freePort, GatewayHome, run, type RunningDaemon } from '../fixtures/gateway-env.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';

const PASSWORD = 'alice-gateway-pw';
const GRACE_MS = 2000;
const TLS_MS = 1000;
/** Above the burst of 25 below, so that the failed-login limit is what refuses it. */
const PER_ADDRESS = 30;
const TOTAL = 40;

let home: GatewayHome;
let sshd: Sshd;
let daemon: RunningDaemon;
let sshPort: number;
let pgPort: number;

before(async () => {
  [home, sshd, sshPort, pgPort] = await Promise.all([GatewayHome.create(), startSshd(), freePort(), freePort()]);
  const hash = (await run(process.execPath, [CLI, 'users', 'hash'], { input: `${PASSWORD}\n` })).stdout.trim();
  await writeFile(
    home.configPath,
    [
      'gateway: { dataDir: ./data }',
      `listen: { ssh: "127.0.0.1:${sshPort}", postgres: "127.0.0.1:${pgPort}", mysql: null, console: null }`,
      'recipients: [{ name: officer, publicKeyFile: ./keys/officer.key.pub }]',
      `admission: { loginGraceTime: ${GRACE_MS}ms, tlsHandshakeTimeout: ${TLS_MS}ms, maxPreLogin: ${TOTAL}, maxPreLoginPerAddress: ${PER_ADDRESS}, maxFailures: 10 }`,
      'users:',
      `  - { name: alice, password: "${hash}", targets: [web01, pg01] }`,
      'targets:',
      `  - { name: web01, protocol: ssh, host: 127.0.0.1, port: ${sshd.port}, hostKey: "${sshd.fingerprint}", login: { user: ${sshd.user}, privateKey: { file: ${sshd.clientKeyPath} } } }`,
      '  - { name: pg01, protocol: postgres, host: 127.0.0.1, port: 9, tls: disable, login: { user: app, password: pw } }',
    ].join('\n') + '\n',
  );
  daemon = await home.startDaemon();
});
after(async () => {
  await daemon?.stop();
  await Promise.all([sshd?.stop(), home?.remove()]);
});

/** A TCP connection from `from` that sends nothing; resolves when it is open. */
function silent(port: number, from = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<number>; data: () => string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0)));
    socket.once('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed, data: () => data }));
    socket.once('error', reject);
  });
}

/** An unconnected socket that node-postgres connects from `localAddress`. */
function from(localAddress: string): Socket {
  const socket = new Socket();
  const open = socket.connect.bind(socket) as (options: { port: number; host: string; localAddress: string }) => Socket;
  (socket as unknown as { connect: (port: number, host: string) => Socket }).connect = (port, host) => open({ port, host, localAddress });
  return socket;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a connection that never logs in is closed at the login grace time: silent, after the banner, or stalled after key exchange', async () => {
  const quiet = await silent(sshPort);
  const bannerOnly = await silent(sshPort);
  bannerOnly.socket.write('SSH-2.0-stalled\r\n');
  // A real SSH client that completes key exchange, then never answers the authentication.
  const stalled = new ssh2.Client();
  const t0 = performance.now();
  const stalledClosed = new Promise<number>((resolve) => stalled.once('close', () => resolve(performance.now() - t0)));
  stalled.on('error', () => undefined);
  let kex = false;
  stalled.once('handshake', () => (kex = true));
  stalled.connect({ host: '127.0.0.1', port: sshPort, username: 'alice+web01', authHandler: () => undefined });
  const times = await Promise.all([quiet.closed, bannerOnly.closed, stalledClosed]);
  assert.ok(kex, 'the stalled client got through key exchange');
  assert.match(bannerOnly.data(), /^SSH-2\.0-recgate/);
  for (const ms of times) assert.ok(ms > GRACE_MS - 300 && ms < GRACE_MS + 1500, `closed after ${Math.round(ms)} ms`);
  assert.match(daemon.log(), /closed a connection that did not log in in time/);
});

test('a TLS handshake that never finishes is closed at its deadline', async () => {
  const started = await silent(pgPort);
  // SSLRequest: length 8, code 80877103; the gateway answers 'S' and waits for a ClientHello.
  started.socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
  const partial = await silent(pgPort);
  partial.socket.write(Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
  await sleep(100);
  partial.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])); // a ClientHello that stops after its first bytes
  const [a, b] = await Promise.all([started.closed, partial.closed]);
  assert.equal(started.data(), 'S');
  for (const ms of [a, b]) assert.ok(ms > TLS_MS - 300 && ms < GRACE_MS - 200, `closed after ${Math.round(ms)} ms, before the grace time`);
});

test('the caps before login hold, and a flood costs only the flooding addresses', async () => {
  const flood = await Promise.all(Array.from({ length: PER_ADDRESS }, () => silent(sshPort, '127.0.0.2')));
  const oneMore = await silent(sshPort, '127.0.0.2');
  assert.ok((await oneMore.closed) < 500, 'one more connection from that address is closed at once');
  assert.equal(oneMore.data(), '', 'without so much as a banner');
  const second = await Promise.all(Array.from({ length: TOTAL - PER_ADDRESS }, () => silent(sshPort, '127.0.0.3')));
  // The total reached: a newcomer from a quiet address takes the place of the busiest address's oldest.
  const newcomer = await silent(sshPort, '127.0.0.4');
  const firstFloodClosed = await Promise.race([flood[0]!.closed, sleep(1000).then(() => -1)]);
  assert.ok(firstFloodClosed >= 0, "the flooder's oldest connection made room");
  await sleep(100);
  assert.match(newcomer.data(), /^SSH-2\.0-recgate/, 'the newcomer is served');
  // And a person on yet another address logs in and works while the flood is held open.
  const client = new ssh2.Client();
  const output = await new Promise<string>((resolve, reject) => {
    client.once('ready', () =>
      client.exec('echo through-the-flood', (err, stream) => {
        if (err) return reject(err);
        let out = '';
        stream.on('data', (d: Buffer) => (out += d.toString()));
        stream.on('close', () => resolve(out));
      }),
    );
    client.once('error', reject);
    client.connect({ host: '127.0.0.1', port: sshPort, localAddress: '127.0.0.5', username: 'alice+web01', password: PASSWORD });
  });
  client.end();
  assert.equal(output, 'through-the-flood\n');
  assert.match(daemon.log(), /connection refused: too many connections not yet logged in/);
  for (const c of [...flood, ...second, newcomer]) c.socket.destroy();
});

test('a burst of wrong passwords over SSH and PostgreSQL at once gets at most the limit checked', async () => {
  const before = daemon.log().length;
  const sshTry = (): Promise<string> =>
    new Promise((resolve) => {
      const c = new ssh2.Client();
      c.once('ready', () => (c.end(), resolve('logged in')));
      c.on('error', (err) => resolve(err.message));
      c.connect({ host: '127.0.0.1', port: sshPort, localAddress: '127.0.0.6', username: 'alice+web01', password: 'wrong', tryKeyboard: false });
    });
  const pgTry = async (password = 'wrong'): Promise<string> => {
    const client = new pg.Client({ host: '127.0.0.1', port: pgPort, stream: () => from('127.0.0.6'), user: 'alice+pg01', password, database: 'app' });
    try {
      await client.connect();
      return 'logged in';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const outcomes = await Promise.all([...Array.from({ length: 13 }, sshTry), ...Array.from({ length: 12 }, pgTry)]);
  assert.ok(!outcomes.includes('logged in'));
  await sleep(200);
  const log = daemon.log().slice(before);
  const checked = (log.match(/"msg":"gateway login failed"/g) ?? []).length;
  const refused = (log.match(/"msg":"login refused: too many failed logins from this address"/g) ?? []).length;
  assert.ok(checked <= 10, `${checked} wrong passwords were checked`);
  assert.equal(checked + refused, 25, `every attempt is either checked or refused: ${checked} + ${refused}`);
  assert.match(outcomes.filter((o) => o.includes('too many')).join('\n'), /too many failed logins from your address/, 'PostgreSQL clients are told why');
  // The right password from that address is refused for now; from another it works.
  assert.match(await pgTry(PASSWORD), /too many failed logins/);
  const elsewhere = await new Promise<string>((resolve) => {
    const c = new ssh2.Client();
    c.once('ready', () => (c.end(), resolve('logged in')));
    c.once('error', (err) => resolve(err.message));
    c.connect({ host: '127.0.0.1', port: sshPort, localAddress: '127.0.0.7', username: 'alice+web01', password: PASSWORD });
  });
  assert.equal(elsewhere, 'logged in');
});
